/**
 * Text normalisation and Chinese tokenisation shared by the search index and the intent reader.
 * Pure and allocation-light: every free-text message passes through here.
 */

export { compact, isHan, normalize } from "../domain/text.js";
import { isHan, normalize } from "../domain/text.js";

const segmenter = new Intl.Segmenter("zh", { granularity: "word" });

/** Word segments of (already normalised) text: Han and alphanumeric words only, punctuation dropped. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment);
  return out;
}

/** Runs of Han characters, e.g. "县级骨干，50人" → ["县级骨干", "人"]. */
export function hanRuns(text: string): string[] {
  return text.match(/\p{Script=Han}+/gu) ?? [];
}

/** Overlapping character bigrams of each Han run (a one-character run yields nothing). */
export function bigrams(text: string): string[] {
  const out: string[] = [];
  for (const run of hanRuns(text)) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

/**
 * Runs of consecutive one-character segments, joined (length ≥ 3): where the segmenter does not know
 * a word — a domain term (顶|岗|支|教) or a typo (依法|至|校 gives none, 顶|岗|之|教 gives 顶岗之教) —
 * these are the pieces worth matching fuzzily.
 */
export function unknownRuns(text: string): string[] {
  const out: string[] = [];
  let run = "";
  const flush = () => {
    if ([...run].length >= 3) out.push(run);
    run = "";
  };
  for (const s of segmenter.segment(text)) {
    if (s.isWordLike && [...s.segment].length === 1 && isHan(s.segment)) run += s.segment;
    else flush();
  }
  flush();
  return out;
}

/**
 * Bigrams that do not straddle two known words: in 园长|培训 the pair 长培 joins two words and says
 * nothing (it would tie 园长培训 to 校长培训), while in 顶|岗|支|教 every pair counts.
 */
export function wordBigrams(text: string): string[] {
  const out: string[] = [];
  let prev: { ch: string; endsWord: boolean } | undefined;
  for (const s of segmenter.segment(text)) {
    const chars = [...s.segment];
    const han = chars.every(isHan);
    if (!han) {
      prev = undefined;
      continue;
    }
    const long = chars.length >= 2;
    chars.forEach((ch, i) => {
      if (prev && !(i === 0 && long && prev.endsWord)) out.push(prev.ch + ch);
      prev = { ch, endsWord: long && i === chars.length - 1 };
    });
  }
  return out;
}

export interface Tokens {
  /** Distinct word segments (≥ 2 characters) and Han bigrams. */
  terms: string[];
  /** Longer pieces (≥ 3 characters) worth a fuzzy look when they have no exact hit. */
  fuzzy: string[];
}

/** The search tokens of a text: normalised, segmented, with bigrams; no duplicates. */
export function tokenize(text: string): Tokens {
  const n = normalize(text);
  const terms = new Set<string>();
  const fuzzy = new Set<string>();
  for (const w of words(n)) {
    const len = [...w].length;
    if (len >= 2) terms.add(w);
    if (len >= 3 && len <= 32 && isHan(w[0]!)) fuzzy.add(w);
  }
  for (const b of wordBigrams(n)) terms.add(b);
  for (const r of unknownRuns(n)) if ([...r].length <= 32) fuzzy.add(r);
  return { terms: [...terms], fuzzy: [...fuzzy] };
}

/** Every distinct term (word ≥ 2 or bigram) of a field text, for building an index. */
export function indexTerms(text: string): string[] {
  const n = normalize(text);
  const terms = new Set<string>();
  for (const w of words(n)) if ([...w].length >= 2) terms.add(w);
  for (const b of wordBigrams(n)) terms.add(b);
  return [...terms];
}
