/**
 * Issue 9's evaluation: every item of test/heldout/*.yaml goes through the real bot in this process (createBot,
 * every middleware and feature, a fresh store, the in-process Bot API of bench/), `before` messages first in the
 * same chat, so follow-ups see the session as a user's would. Each reply is classified from the answer's
 * structured outcome (Deps.onOutcome: kind, the sub-projects presented with their verdicts, budget totals);
 * only an item's `must` strings are looked up in the text the user sees.
 *
 *   npm run eval                 # dev.yaml to dev5.yaml and heldout.yaml (when present)
 *   npm run eval -- dev --list   # one set, and one line per item that is not right
 *
 * Buckets: right (the outcome the item expects), asked (asked back or offered candidates, or said the guide has
 * nothing, where something else was expected: honest, not right), not understood (the "没有找到" fallback), and
 * confidently wrong (an answer, verdict or figure the item rules out).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { startInProcessBot } from "../../bench/in-process-bot.js";
import type { Outcome } from "../../src/answers/outcome.js";

export interface Item {
  id: string;
  q: string;
  before?: string[];
  expect: "answer" | "ask" | "none";
  about?: string;
  must?: string[];
  /** A string the reply's first line contains (a direct answer on X first, for "能报X吗"). */
  first?: string;
  eligible?: string[];
  notEligible?: string[];
  total?: number;
  cycleTotal?: number;
  why: string;
  /** The `# Heading` above the item in its file. */
  category: string;
}

export type Bucket = "right" | "asked" | "notUnderstood" | "wrong";

export interface ItemResult {
  item: Item;
  bucket: Bucket;
  /** Why it is not right (empty when right). */
  reason: string;
  outcome: Outcome | undefined;
  reply: string;
}

const DIR = fileURLToPath(new URL("./", import.meta.url));

/** Items of a set file, each with the category heading it stands under. */
export function loadSet(file: string): Item[] {
  const path = join(DIR, file);
  const text = readFileSync(path, "utf8");
  const items = parse(text) as Omit<Item, "category">[];
  const headingOf = new Map<string, string>();
  let heading = "other";
  for (const line of text.split("\n")) {
    const h = /^#\s+(.+?)\s*$/.exec(line);
    if (h && !/^(Development|Held-out|Held out)/i.test(h[1]!)) heading = h[1]!;
    const id = /id:\s*([dhef]\d{3})/.exec(line);
    if (id) headingOf.set(id[1]!, heading);
  }
  return items.map((it) => ({ ...it, category: headingOf.get(it.id) ?? "other" }));
}

const squash = (s: string) => s.replace(/[\s,，]/g, "");
/** Presented as fitting (for notEligible): eligible, or eligible but for what the unit decides / a reading to confirm. */
const fits = (o: Outcome, id: string) => o.subProjects.some((s) => s.id === id && (s.verdict === "eligible" || s.verdict === "conditional"));
/** Presented as fitting or possibly fitting (for eligible): an open question, or the unit's to decide, counts too. */
const mayFit = (o: Outcome, id: string) => fits(o, id) || o.subProjects.some((s) => s.id === id && (s.verdict === "open" || s.verdict === "unit"));
const presented = (o: Outcome, id: string) => o.subProjects.some((s) => s.id === id);

/** The bucket of one reply against its item. Pure: the tables in test/unit/heldout.test.ts use it too. */
export function classify(item: Item, outcome: Outcome | undefined, reply: string): { bucket: Bucket; reason: string } {
  if (!outcome) return { bucket: "asked", reason: "a form step took the message" };
  const text = squash(reply);
  // A verdict the item rules out is wrong whatever the kind of reply.
  for (const id of item.notEligible ?? []) if (fits(outcome, id)) return { bucket: "wrong", reason: `presented ${id} as fitting` };
  if (outcome.kind === "not-understood") return { bucket: "notUnderstood", reason: "not understood" };
  const honest = outcome.kind === "clarify" || outcome.kind === "candidates" || outcome.kind === "command";

  if (item.expect === "ask") {
    if (honest) return { bucket: "right", reason: "" };
    if (outcome.kind === "not-in-guide") return { bucket: "asked", reason: "said the guide has nothing where it should ask" };
    return { bucket: "wrong", reason: `answered (${outcome.topic ?? "?"}) where it should ask` };
  }
  if (item.expect === "none") {
    if (outcome.kind === "not-in-guide") {
      // "the guide does not say" about another topic does not answer the question
      const lacking = (item.must ?? []).filter((m) => !text.includes(squash(m)));
      return lacking.length ? { bucket: "wrong", reason: `said the guide has nothing on another topic (lacks “${lacking.join("”, “")}”)` } : { bucket: "right", reason: "" };
    }
    if (honest) return { bucket: "asked", reason: "asked where the guide has nothing" };
    return { bucket: "wrong", reason: `answered (${outcome.topic ?? "?"}) what the guide does not say` };
  }
  // expect: answer
  if (honest) return { bucket: "asked", reason: `asked (${outcome.kind}${outcome.asks?.length ? `: ${outcome.asks.join(",")}` : ""})` };
  if (outcome.kind === "not-in-guide") return { bucket: "wrong", reason: "said the guide has nothing, but it does" };
  const problems: string[] = [];
  if (item.about && !presented(outcome, item.about)) problems.push(`not about ${item.about} (${outcome.subProjects.map((s) => s.id).join(",") || "none"})`);
  for (const m of item.must ?? []) if (!text.includes(squash(m))) problems.push(`lacks “${m}”`);
  const firstLine = squash(reply.trimStart().split("\n")[0] ?? "");
  if (item.first !== undefined && !firstLine.includes(squash(item.first))) problems.push(`first line lacks “${item.first}”`);
  for (const id of item.eligible ?? []) if (!mayFit(outcome, id)) problems.push(`${id} not presented as fitting`);
  if (item.total !== undefined && outcome.budget?.perYear !== item.total) problems.push(`total ${outcome.budget?.perYear ?? "none"} ≠ ${item.total}`);
  if (item.cycleTotal !== undefined && outcome.budget?.cycle !== item.cycleTotal) problems.push(`cycle ${outcome.budget?.cycle ?? "none"} ≠ ${item.cycleTotal}`);
  return problems.length ? { bucket: "wrong", reason: problems.join("; ") } : { bucket: "right", reason: "" };
}

/** Runs the items through one in-process bot, each in its own chat. */
export async function evaluate(items: Item[]): Promise<ItemResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "heldout-eval-"));
  const app = await startInProcessBot({ dataDir: dir });
  const outcomes = new Map<number, Outcome[]>();
  app.deps.onOutcome = (userId, outcome) => outcomes.set(userId, [...(outcomes.get(userId) ?? []), outcome]);
  const results: ItemResult[] = [];
  try {
    let user = 10_000;
    for (const item of items) {
      const id = ++user;
      for (const b of item.before ?? []) await app.bot.handleUpdate(app.api.textUpdate(id, b));
      outcomes.delete(id);
      const seen = app.api.outputs(id).at(-1)?.seq ?? -1;
      await app.bot.handleUpdate(app.api.textUpdate(id, item.q));
      const reply = app.api
        .outputs(id)
        .filter((o) => o.seq > seen)
        .map((o) => o.text)
        .join("\n");
      const outcome = outcomes.get(id)?.at(-1);
      results.push({ item, outcome, reply, ...classify(item, outcome, reply) });
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export interface Tally {
  n: number;
  right: number;
  asked: number;
  notUnderstood: number;
  wrong: number;
}

export function tally(results: ItemResult[]): Tally {
  const t: Tally = { n: results.length, right: 0, asked: 0, notUnderstood: 0, wrong: 0 };
  for (const r of results) t[r.bucket]++;
  return t;
}

const pct = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(1)}%` : "-");

export function formatTally(label: string, t: Tally): string {
  return `${label.padEnd(22)} ${String(t.n).padStart(4)}  right ${String(t.right).padStart(3)} (${pct(t.right, t.n)})  asked ${String(t.asked).padStart(3)}  not understood ${String(t.notUnderstood).padStart(3)}  wrong ${String(t.wrong).padStart(3)} (${pct(t.wrong, t.n)})`;
}

export function report(name: string, results: ItemResult[], list: boolean): string {
  const out = [formatTally(name, tally(results))];
  const categories = [...new Set(results.map((r) => r.item.category))];
  for (const c of categories) out.push(formatTally(`  ${c}`, tally(results.filter((r) => r.item.category === c))));
  if (list) {
    for (const r of results.filter((x) => x.bucket !== "right")) out.push(`  ${r.item.id} [${r.bucket}] ${r.item.q} — ${r.reason}`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const list = args.includes("--list");
  const named = args.filter((a) => !a.startsWith("--"));
  const sets = (named.length ? named : ["dev", "dev2", "dev3", "dev4", "dev5", "heldout"]).filter((s) => existsSync(join(DIR, `${s}.yaml`)));
  for (const s of sets) {
    const results = await evaluate(loadSet(`${s}.yaml`));
    console.log(report(`${s}.yaml`, results, list && s !== "heldout"));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
