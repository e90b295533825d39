/**
 * Imports point one way: domain ← services ← features. A rule is a folder and the folders it may not
 * import from; the check reads every import (static, `export … from` and dynamic) of every file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function files(dir: string): string[] {
  const abs = join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const p = join(abs, name);
    return statSync(p).isDirectory() ? files(relative(ROOT, p)) : p.endsWith(".ts") ? [relative(ROOT, p)] : [];
  });
}

/** Project-relative targets of a file's relative imports ("src/store/types.js"). */
export function importsOf(file: string, source = readFileSync(join(ROOT, file), "utf8")): string[] {
  const specs = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

interface Rule {
  folder: string;
  why: string;
  forbidden: string[];
  /** Exceptions inside a forbidden folder. */
  allowed?: string[];
  /** Known crossings still to untangle, file → target, each with its reason (kept short and visible). */
  pending?: Record<string, string>;
}

const RULES: Rule[] = [
  {
    folder: "src/domain",
    why: "the domain is pure rules: no I/O, no NLU, no store records, no engine, no transport",
    forbidden: ["src/nlu", "src/store", "src/engine", "src/bot", "src/console", "src/services", "src/answers", "src/reminders", "src/export", "src/web", "flows"],
  },
  {
    folder: "src/services",
    why: "services carry the workflow for every transport: they know the domain and the store's contract, never a transport or a store implementation",
    forbidden: ["src/bot", "src/console", "src/web", "src/nlu", "src/store"],
    allowed: ["src/store/types.js"],
  },
  {
    folder: "src/store",
    why: "the store is the bottom layer: it knows its records and the domain's data types, never the layers that use it",
    forbidden: ["src/outgoing", "src/bot", "src/console", "src/web", "src/reminders", "src/services", "src/engine", "src/nlu", "src/answers"],
  },
  {
    folder: "src/bot/features",
    why: "features keep the conversation and the rendering; the workflow and every store access go through services",
    forbidden: ["src/store"],
    allowed: ["src/store/types.js"],
  },
];

describe("imports point one way", () => {
  it.each(RULES.map((r) => [r.folder, r] as const))("%s", (_folder, rule) => {
    const offending: string[] = [];
    for (const file of files(rule.folder)) {
      for (const target of importsOf(file)) {
        const hit = rule.forbidden.some((f) => target === f || target.startsWith(`${f}/`));
        const edge = `${file} → ${target}`;
        if (hit && !rule.allowed?.includes(target) && !rule.pending?.[edge]) offending.push(edge);
      }
    }
    expect(offending, rule.why).toEqual([]);
  });

  it("lists only pending crossings that still exist (a fixed one is removed from the list)", () => {
    for (const rule of RULES) {
      for (const edge of Object.keys(rule.pending ?? {})) {
        const [file, target] = edge.split(" → ") as [string, string];
        expect(importsOf(file), edge).toContain(target);
      }
    }
  });

  it("fills no registry on import: flows and entry points are registered in features/index.ts only", () => {
    const calls = files("src")
      .filter((f) => f !== "src/bot/features/index.ts")
      .flatMap((file) => (/\bregister(?:Flow|Entry)\(\s*["'A-Z]/.test(readFileSync(join(ROOT, file), "utf8")) ? [file] : []));
    expect(calls).toEqual([]);
  });

  it.each(["src/bot/features", "src/web"])("%s makes no direct store calls (services do)", (folder) => {
    const calls = files(folder).flatMap((file) =>
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        // Any code line naming the store (ctx.deps.store, a destructured { store }, store.drafts…); imports of record types, comments and the "no-store" cache header aside.
        .flatMap((line, i) => (/(?<!no-)\bstore\b/.test(line) && !/^\s*(?:import\b|\*|\/\/|\/\*)/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(calls).toEqual([]);
  });

  it("reads the import forms it checks", () => {
    const src = 'import { a } from "../store/x.js";\nexport * from "./y.js";\nimport type { T } from "../engine/types.js";\nconst m = await import("../nlu/z.js");';
    expect(importsOf("src/domain/f.ts", src)).toEqual(["src/store/x.js", "src/domain/y.js", "src/engine/types.js", "src/nlu/z.js"]);
  });
});
