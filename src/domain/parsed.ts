/** The outcome of reading one typed answer: the value (perhaps with a warning), or what to type instead. Domain rules return it; the engine shows it. */
export type Parsed<T = unknown> = { ok: true; value: T; warning?: string } | { ok: false; error: string };
