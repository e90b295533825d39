import { pino, type Logger } from "pino";

/** Structured JSON logs on stderr; anything that looks like a bot token is redacted. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      redact: { paths: ["token", "*.token", "BOT_TOKEN", "*.BOT_TOKEN", "config.BOT_TOKEN"], censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // grammY error messages can quote request URLs, which contain the token.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? redactToken(a) : a)) as typeof args);
        },
      },
      serializers: { err: (e: unknown) => (e instanceof Error ? { type: e.name, message: redactToken(e.message), stack: redactToken(e.stack ?? "") } : e) },
    },
    pino.destination(2),
  );
}

export function redactToken(s: string): string {
  return s.replace(/\d{5,}:[A-Za-z0-9_-]{20,}/g, "[redacted-token]").replace(/\/bot[^/\s]+\//g, "/bot[redacted]/");
}
