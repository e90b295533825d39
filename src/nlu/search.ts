/**
 * A pure search index over the knowledge: free Chinese text → ranked sub-projects (and the row the
 * text names). Built once from a Knowledge object; no I/O.
 *
 * 1. Exact: names, 附件2 names, aliases, single-sub-project category names and unique row labels
 *    (normalised: punctuation, quotes and brackets dropped, traditional → simplified). The longest key
 *    contained in the query wins with score 0.
 * 1b. Near: failing that, a long name whose first and last bigrams and ≥ 75% of all bigrams are in the
 *    query (a slip inside the name: 县级古干教师学科育人能力提升研修).
 * 2. Terms: the query's word segments (Intl.Segmenter) and Han bigrams (not those straddling two known
 *    words), looked up in an inverted index of the same terms of every field, weighted by field and by
 *    rarity across sub-projects (idf), summed per sub-project. Runs the segmenter could not split into
 *    words (顶岗支教, or a typo like 顶岗之教) go to fuse.js over the short, name-like fields
 *    (patterns ≤ 32 characters), memoised.
 * 3. Row: the row whose stage the query names (outside the matched name) or whose own label/audience
 *    terms it uses (足球, 帮扶校, 统编教材).
 *
 * fuse.js is used only where it helps: it matches letters, not Chinese words, and scanning hundreds of
 * entries per token costs ~1 ms, so the exact term lookups carry the bulk and fuse the fuzzy remainder.
 */
import Fuse from "fuse.js";
import type { Knowledge, SubProject } from "../knowledge/schema.js";
import type { Candidate } from "./types.js";
import { bigrams, compact, indexTerms, normalize, tokenize } from "./segment.js";

export interface SearchIndex {
  /** Ranked candidates, best first (at most `limit`, default 5); empty when nothing matches. */
  search(query: string, limit?: number): Candidate[];
  /** The same ranking with what the reader needs besides: confidence and the matched names. */
  lookup(query: string, limit?: number): Lookup;
}

/**
 * The same index, built on first use: start-up need not wait for it (about 90 ms), and the first
 * question after a start pays it once. `warm()` builds it ahead, e.g. right after polling begins.
 */
export function lazySearchIndex(k: Knowledge): SearchIndex & { warm(): void } {
  let index: SearchIndex | undefined;
  const get = () => (index ??= createSearchIndex(k));
  return {
    search: (query, limit) => get().search(query, limit),
    lookup: (query, limit) => get().lookup(query, limit),
    warm: () => void get(),
  };
}

export interface Lookup {
  candidates: Candidate[];
  /** The top candidate is an exact name/alias hit, or clearly ahead of the second. */
  confident: boolean;
  /** The top candidate came from an exact name/alias/row-label hit. */
  exact: boolean;
  /** The normalised query with the exactly matched names cut out (what is left to classify). */
  rest: string;
}

/** Field weights: a hit in a name counts more than one in a goal statement. */
const W = { name: 1, row: 0.8, duration: 0.8, phase: 0.6, audience: 0.5, category: 0.4, goal: 0.25 } as const;

/** A sub-project must collect at least this much evidence to be a candidate at all. */
const MIN_EVIDENCE = 1.2;
/** Weaker candidates below this share of the best are dropped. */
const KEEP_SHARE = 0.3;
/** Fuzzy ranking is confident when the runner-up has at most this share of the leader's evidence… */
const CLEAR_LEAD = 0.6;
/** …and the leader has at least this much. */
const CONFIDENT_EVIDENCE = 2.5;
const FUSE_THRESHOLD = 0.3;
/** A name counts as typed with a slip when the query holds its first and last bigrams and this share of all… */
const NEAR_COVERAGE = 0.75;
/** …and it is at least this long (short names have too few bigrams to judge). */
const NEAR_MIN_LENGTH = 7;
/** The best near name must lead the next sub-project's by this much coverage to be confident. */
const NEAR_LEAD = 0.15;
const MAX_FUZZY_PER_QUERY = 4;
const MEMO_LIMIT = 2000;

/** Query-side expansions of short forms the guide never spells out. */
const EXPANSIONS: [RegExp, string][] = [
  [/新课标/g, "新课程标准"],
  [/国培(?!计划)/g, "国培计划"],
  [/区培(?!计划)/g, "区培计划"],
  [/线上|网上|网络/g, "在线"],
];

interface KeyTarget {
  sp: number;
  /** Row ids this key names; empty when it names the sub-project as a whole. */
  rows: Set<string>;
}

interface RowFeature {
  id: string;
  stages: Set<string>;
  /** Terms of the row's label and audience that no other row of the sub-project has. */
  terms: Set<string>;
}

/**
 * Stage words pick a row more than a sub-project (初中 is a row of 县级骨干 and of 地级骨干 alike), so they
 * count for less in the ranking; 高中 is left alone: it names the 区培 high-school sub-projects.
 */
const ROW_STAGE_TERMS = new Set(["幼儿园", "幼儿", "儿园", "小学", "初中", "中学"]);
const STAGE_DISCOUNT = 0.5;

const STAGE_WORDS: [RegExp, string][] = [
  [/幼儿园|幼教|学前|幼师|园长|幼儿/, "幼儿园"],
  [/(?<!中)小学/, "小学"],
  [/初中|初级中学/, "初中"],
  [/高中|高级中学/, "高中"],
  [/(?<![初高])中学/, "中学"],
];

function stagesIn(text: string): Set<string> {
  const s = new Set<string>();
  for (const [re, stage] of STAGE_WORDS) if (re.test(text)) s.add(stage);
  return s;
}

function stageMatches(query: Set<string>, row: Set<string>): boolean {
  for (const q of query) {
    if (row.has(q)) return true;
    if ((q === "初中" || q === "高中") && row.has("中学")) return true;
    if (q === "中学" && (row.has("初中") || row.has("高中"))) return true;
  }
  return false;
}

/** Normalised spellings of a name: as written, without bracketed parts, without a trailing 项目, 普通高中 → 高中. */
export function keyVariants(name: string, minLength = 2): string[] {
  const n = expand(normalize(name));
  const out = new Set<string>();
  for (const form of [n, n.replace(/[(（][^)）]*[)）]/g, "")]) {
    const c = compact(form);
    out.add(c);
    if (c.endsWith("项目") && c.length > 6) out.add(c.slice(0, -2));
    if (c.startsWith("普通高中")) out.add(c.slice(2));
  }
  return [...out].filter((k) => [...k].length >= minLength);
}

function expand(q: string): string {
  let out = q;
  for (const [re, to] of EXPANSIONS) out = out.replace(re, to);
  return out;
}

export function createSearchIndex(k: Knowledge): SearchIndex {
  const sps: SubProject[] = k.subProjects;
  const n = sps.length;

  // ---- exact keys ----
  // names and aliases name a sub-project; row labels only count where no name or alias claims the key
  const nameKeys = new Map<string, Set<number>>();
  const rowKeys = new Map<string, KeyTarget[]>();
  const addNameKey = (key: string, sp: number) => nameKeys.set(key, (nameKeys.get(key) ?? new Set()).add(sp));
  const addRowKey = (key: string, sp: number, row: string) => {
    const list = rowKeys.get(key) ?? [];
    const t = list.find((x) => x.sp === sp);
    if (t) t.rows.add(row);
    else list.push({ sp, rows: new Set([row]) });
    rowKeys.set(key, list);
  };
  sps.forEach((sp, i) => {
    for (const name of [sp.name, sp.tableName]) if (name) for (const v of keyVariants(name, 4)) addNameKey(v, i);
    for (const a of sp.aliases) for (const v of keyVariants(a)) addNameKey(v, i);
    for (const row of sp.rows) for (const v of keyVariants(row.label, 5)) addRowKey(v, i, row.id);
  });
  for (const plan of k.plans) {
    for (const c of plan.categories) {
      const members = sps.map((sp, i) => ({ sp, i })).filter((x) => x.sp.plan === plan.id && x.sp.category === c.id);
      if (members.length !== 1) continue;
      for (const name of [c.name, ...c.aliases]) for (const v of keyVariants(name, 4)) addNameKey(v, members[0]!.i);
    }
  }
  // a key naming several sub-projects is no exact hit (the term ranking still sees it)
  const keyed = new Map<string, KeyTarget>();
  for (const [key, targets] of rowKeys) {
    if (targets.length !== 1) continue;
    const t = targets[0]!;
    // a row label in several rows of one sub-project names the sub-project only
    keyed.set(key, t.rows.size === 1 ? t : { sp: t.sp, rows: new Set() });
  }
  for (const [key, set] of nameKeys) {
    if (set.size !== 1) {
      keyed.delete(key);
      continue;
    }
    const sp = [...set][0]!;
    const row = keyed.get(key);
    keyed.set(key, row && row.sp === sp ? row : { sp, rows: new Set() });
  }
  const exactKeys = [...keyed.entries()].map(([key, target]) => ({ key, target })).sort((a, b) => b.key.length - a.key.length);
  // long keys, as bigram sets, for names typed with a slip (县级古干教师学科育人能力提升研修)
  const nearKeys = exactKeys
    .filter((x) => [...x.key].length >= NEAR_MIN_LENGTH)
    .map((x) => {
      const list = bigrams(x.key);
      return { ...x, grams: new Set(list), first: list[0]!, last: list.at(-1)! };
    });

  // ---- term index ----
  const weights = new Map<string, Float64Array>();
  const addField = (sp: number, text: string | undefined, w: number) => {
    if (!text) return;
    for (const t of indexTerms(text)) {
      let arr = weights.get(t);
      if (!arr) weights.set(t, (arr = new Float64Array(n)));
      if (arr[sp]! < w) arr[sp] = w;
    }
  };
  const shortFields = new Map<string, Map<number, number>>();
  const addShort = (sp: number, text: string | undefined, w: number) => {
    if (!text) return;
    for (const v of keyVariants(text)) {
      if (v.length > 32) continue;
      const m = shortFields.get(v) ?? new Map<number, number>();
      m.set(sp, Math.max(m.get(sp) ?? 0, w));
      shortFields.set(v, m);
    }
  };
  const categoryOf = (sp: SubProject) => k.plans.find((p) => p.id === sp.plan)?.categories.find((c) => c.id === sp.category);
  sps.forEach((sp, i) => {
    const both = (text: string | undefined, w: number) => {
      addField(i, text, w);
      addShort(i, text, w);
    };
    both(sp.name, W.name);
    both(sp.tableName, W.name);
    for (const a of sp.aliases) both(a, W.name);
    const cat = categoryOf(sp);
    if (cat) for (const c of [cat.name, ...cat.aliases]) both(c, W.category);
    addField(i, sp.audience.text, W.audience);
    addField(i, sp.goal.text, W.goal);
    for (const d of sp.schedule) both(d.label, W.duration);
    for (const p of sp.phases?.items ?? []) both(p, W.phase);
    for (const row of sp.rows) {
      both(row.label, W.row);
      addField(i, row.audience.text, W.audience);
      for (const d of row.schedule ?? []) both(d.label, W.duration);
      for (const p of row.phases?.items ?? []) both(p, W.phase);
    }
  });
  const idf = new Map<string, number>();
  for (const [t, arr] of weights) {
    let df = 0;
    for (const w of arr) if (w > 0) df++;
    idf.set(t, Math.log((n + 1) / df) * (ROW_STAGE_TERMS.has(t) ? STAGE_DISCOUNT : 1));
  }

  const fuseEntries = [...shortFields.entries()].map(([text, sp]) => ({ text, sp }));
  const fuse = new Fuse(fuseEntries, {
    keys: ["text"],
    includeScore: true,
    ignoreLocation: true,
    ignoreFieldNorm: true,
    threshold: FUSE_THRESHOLD,
    minMatchCharLength: 2,
    shouldSort: false,
  });
  const memo = new Map<string, Map<number, number>>();
  const fuzzyHits = (token: string): Map<number, number> => {
    const hit = memo.get(token);
    if (hit) return hit;
    const out = new Map<number, number>();
    for (const r of fuse.search(token)) {
      const closeness = 1 - (r.score ?? 1);
      for (const [sp, w] of r.item.sp) out.set(sp, Math.max(out.get(sp) ?? 0, w * closeness));
    }
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(token, out);
    return out;
  };

  // ---- rows ----
  // words for a role every row admits (党支部书记 in a 党组织书记研修 row's audience) say who, not which
  // row, unless the row's own label uses them (培训机构负责人)
  const roleWords = (role: string) => {
    const r = k.vocabulary.roles.find((x) => x.id === role);
    return r ? [r.label, ...r.synonyms].flatMap((w) => indexTerms(w)) : [];
  };
  const rowRoles = (r: SubProject["rows"][number]) => new Set(r.conditions.flatMap((c) => (c.field === "role" ? c.oneOf : [])));
  const rowFeatures: RowFeature[][] = sps.map((sp) => {
    const roleSets = sp.rows.map(rowRoles);
    const common = [...(roleSets[0] ?? [])].filter((role) => roleSets.every((set) => set.has(role)));
    const roleTerms = new Set(common.flatMap(roleWords));
    const spTerms = new Set([sp.name, sp.tableName ?? ""].flatMap((x) => [...indexTerms(x), ...indexTerms(compact(x))]));
    const termsOfRow = sp.rows.map((r) => new Set(indexTerms(`${r.label} ${r.audience.text}`)));
    return sp.rows.map((r, ri) => {
      const own = new Set<string>();
      const labelTerms = new Set(indexTerms(r.label));
      for (const t of termsOfRow[ri]!) {
        if (spTerms.has(t) || (roleTerms.has(t) && !labelTerms.has(t))) continue;
        if (termsOfRow.some((other, oi) => oi !== ri && other.has(t))) continue;
        own.add(t);
      }
      const label = compact(r.label);
      const stages = stagesIn(label);
      return { id: r.id, stages: stages.size ? stages : stagesIn(compact(r.audience.text)), terms: own };
    });
  });

  /** The row a query names: stage words outside the matched names, and terms only that row has. */
  function resolveRow(sp: number, rest: string, qTerms: Set<string>): string | undefined {
    const features = rowFeatures[sp]!;
    if (features.length < 2) return undefined;
    const qStages = stagesIn(rest);
    let best: string | undefined;
    let bestScore = 0;
    let tie = false;
    for (const f of features) {
      let s = 0;
      if (qStages.size && f.stages.size) s += stageMatches(qStages, f.stages) ? 3 : -3;
      for (const t of f.terms) if (qTerms.has(t)) s += 1;
      if (s > bestScore) {
        best = f.id;
        bestScore = s;
        tie = false;
      } else if (s === bestScore && s > 0) tie = true;
    }
    return tie ? undefined : best;
  }

  function lookup(query: string, limit = 5): Lookup {
    const q = expand(normalize(query));
    let rest = compact(q);
    const qc = rest;

    // 1. exact keys, longest first, without overlaps
    const spans: { start: number; end: number }[] = [];
    const exact: { sp: number; rows: Set<string> }[] = [];
    for (const { key, target } of exactKeys) {
      if (key.length > qc.length) continue;
      const at = qc.indexOf(key);
      if (at < 0) continue;
      const end = at + key.length;
      if (spans.some((s) => at < s.end && s.start < end)) continue;
      spans.push({ start: at, end });
      const seen = exact.find((e) => e.sp === target.sp);
      if (seen) for (const r of target.rows) seen.rows.add(r);
      else exact.push({ sp: target.sp, rows: new Set(target.rows) });
    }
    if (spans.length) {
      rest = "";
      let from = 0;
      for (const s of [...spans].sort((a, b) => a.start - b.start)) {
        rest += `${qc.slice(from, s.start)} `;
        from = s.end;
      }
      rest += qc.slice(from);
    }

    // 1b. a long name with a slip: most of its bigrams are in the query
    const near: { sp: number; coverage: number; rows: Set<string> }[] = [];
    if (!exact.length) {
      const qGrams = new Set(bigrams(qc));
      for (const nk of nearKeys) {
        // a slip inside the name, not a name cut short (骨干教师能力提升研修 is no 高中骨干教师能力提升研修)
        if (!qGrams.has(nk.first) || !qGrams.has(nk.last)) continue;
        let hit = 0;
        for (const g of nk.grams) if (qGrams.has(g)) hit++;
        const coverage = hit / nk.grams.size;
        if (coverage < NEAR_COVERAGE || coverage === 1) continue;
        const seen = near.find((x) => x.sp === nk.target.sp);
        if (!seen) near.push({ sp: nk.target.sp, coverage, rows: nk.target.rows });
        else if (coverage > seen.coverage) Object.assign(seen, { coverage, rows: nk.target.rows });
      }
      near.sort((a, b) => b.coverage - a.coverage);
    }

    // 2. terms
    const { terms, fuzzy } = tokenize(q);
    const raw = new Float64Array(n);
    let total = 0;
    for (const t of terms) {
      const arr = weights.get(t);
      if (!arr) continue;
      const w = idf.get(t)!;
      total += w;
      for (let i = 0; i < n; i++) raw[i]! += w * arr[i]!;
    }
    let fuzzyUsed = 0;
    for (const f of fuzzy) {
      if (weights.has(f) || fuzzyUsed >= MAX_FUZZY_PER_QUERY) continue;
      fuzzyUsed++;
      const hits = fuzzyHits(f);
      if (!hits.size) continue;
      const w = Math.log((n + 1) / hits.size);
      total += w;
      for (const [sp, x] of hits) raw[sp]! += w * x;
    }

    let qTerms: Set<string> | undefined;
    const wholeTerms = () => (qTerms ??= new Set(indexTerms(qc)));
    const candidates: Candidate[] = [];
    const rowFor = (sp: number, named: Set<string>): string | undefined =>
      named.size === 1 ? [...named][0] : resolveRow(sp, rest, wholeTerms());
    exact.forEach((e, i) => {
      const rowId = rowFor(e.sp, e.rows);
      candidates.push({ subProjectId: sps[e.sp]!.id, score: i === 0 ? 0 : 0.02, ...(rowId ? { rowId } : {}) });
    });
    near.forEach((x) => {
      const rowId = rowFor(x.sp, x.rows);
      candidates.push({ subProjectId: sps[x.sp]!.id, score: Number(((1 - x.coverage) / 2).toFixed(4)), ...(rowId ? { rowId } : {}) });
    });
    const ranked = [...raw.keys()].filter((i) => raw[i]! >= MIN_EVIDENCE).sort((a, b) => raw[b]! - raw[a]!);
    const top = ranked.length ? raw[ranked[0]!]! : 0;
    const floor = exact.length || near.length ? 0.13 : 0.001;
    for (const i of ranked) {
      if (raw[i]! < KEEP_SHARE * top) break;
      if (exact.some((e) => e.sp === i) || near.some((e) => e.sp === i)) continue;
      const score = Math.min(1, Math.max(floor, 1 - raw[i]! / total));
      const rowId = resolveRow(i, rest, wholeTerms());
      candidates.push({ subProjectId: sps[i]!.id, score: Number(score.toFixed(4)), ...(rowId ? { rowId } : {}) });
    }

    let confident: boolean;
    if (exact.length) confident = exact.length === 1;
    else if (near.length) confident = near.length === 1 || near[0]!.coverage - near[1]!.coverage >= NEAR_LEAD;
    else {
      const first = ranked[0];
      const second = ranked[1];
      confident =
        first !== undefined && raw[first]! >= CONFIDENT_EVIDENCE && (second === undefined || raw[second]! <= CLEAR_LEAD * raw[first]!);
    }
    return { candidates: candidates.slice(0, limit), confident, exact: exact.length > 0, rest };
  }

  return {
    search: (query, limit) => lookup(query, limit).candidates,
    lookup,
  };
}
