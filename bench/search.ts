/**
 * Free-text answering: parseIntent + the answer the bot would send (answerFact, the eligibility
 * verdicts, or the budget), over every phrasing in test/cases/free-text.yaml and
 * search-phrasings.yaml, each timed alone. The first pass warms the JIT and is not counted.
 *
 *   npx tsx bench/search.ts [--rounds 20]
 */
import { answerFact } from "../src/answers/fact-answer.js";
import { budgetAnswer } from "../src/answers/budget-answer.js";
import { eligibilityAnswer } from "../src/answers/eligibility-answer.js";
import { computeBudget } from "../src/domain/budget.js";
import { assess } from "../src/domain/eligibility.js";
import { createSearchIndex } from "../src/nlu/search.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import type { Knowledge } from "../src/knowledge/schema.js";
import { parseIntent } from "../src/nlu/intent.js";
import type { SearchIndex } from "../src/nlu/search.js";
import { loadPhrasings } from "./simulated-users.js";
import { isMain, latency, load1, report, type Latency } from "./stats.js";

export interface SearchResult {
  phrasings: number;
  rounds: number;
  latencyMs: Latency;
  /** The slowest phrasing (its median over the rounds). */
  slowest: { text: string; p50: number };
  byKind: Record<string, number>;
  load1: number;
}

/** What the free-text feature does with a message outside a flow (src/bot/features/free-text.ts), minus Telegram. */
export function answer(k: Knowledge, index: SearchIndex, text: string): { kind: string; reply: string } {
  const intent = parseIntent(text.slice(0, 300), { knowledge: k, index });
  switch (intent.kind) {
    case "fact": {
      const top = intent.candidates[0];
      if (!top || !intent.confident) return { kind: "fact?", reply: intent.candidates.map((c) => c.subProjectId).join(",") };
      return { kind: "fact", reply: answerFact(k, top.subProjectId, intent.fact, { ...(top.rowId ? { rowId: top.rowId } : {}), ...(intent.durationId ? { durationId: intent.durationId } : {}) }) };
    }
    case "eligibility":
      return { kind: "eligibility", reply: eligibilityAnswer(k, assess(k, intent.profile), intent.profile).text };
    case "budget": {
      const top = intent.candidates[0];
      if (!top) return { kind: "budget?", reply: "" };
      const sp = k.subProjects.find((s) => s.id === top.subProjectId)!;
      return { kind: "budget", reply: budgetAnswer(computeBudget(sp, top.rowId, intent.quantities)) };
    }
    default:
      return { kind: intent.kind, reply: "" };
  }
}

export function runSearch(rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 20): SearchResult {
  const k = loadKnowledge();
  const index = createSearchIndex(k);
  const phrasings = loadPhrasings();
  const byKind: Record<string, number> = {};
  for (const p of phrasings) {
    const { kind } = answer(k, index, p);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const all: number[] = [];
  const per = new Map<string, number[]>(phrasings.map((p) => [p, []]));
  for (let r = 0; r < rounds; r++) {
    for (const p of phrasings) {
      const t = performance.now();
      answer(k, index, p);
      const ms = performance.now() - t;
      all.push(ms);
      per.get(p)!.push(ms);
    }
  }
  let slowest = { text: "", p50: 0 };
  for (const [text, xs] of per) {
    const p50 = latency(xs).p50;
    if (p50 > slowest.p50) slowest = { text, p50 };
  }
  return { phrasings: phrasings.length, rounds, latencyMs: latency(all), slowest, byKind, load1: load1() };
}

if (isMain(import.meta.url)) report(runSearch());
