/**
 * Text normalisation and Chinese tokenisation shared by the search index and the intent reader.
 * Pure and allocation-light: every free-text message passes through here.
 */

/**
 * Traditional → simplified for the characters this domain uses (people sometimes type traditional-ish
 * forms, or paste from a traditional-script source). Pairs: traditional then simplified.
 */
const T2S_PAIRS =
  "縣县級级幹干師师學学習习領领導导數数語语園园長长書书記记黨党組组織织區区務务題题專专項项訓训練练經经費费標标準准對对與与" +
  "達达選选條条計计劃划幫帮礎础績绩職职員员歷历術术體体樂乐勞劳動动圖图網网線线據据實实踐践觀观訪访課课創创設设範范優优論论" +
  "齡龄歲岁幾几萬万兩两億亿個个點点時时間间們们來来這这麼么嗎吗報报參参請请問问該该資资誰谁單单構构機机關关協协會会議议處处" +
  "將将為为給给開开發发應应態态辦办產产際际屬属於于隊队傳传統统編编義义規规類类層层貫贯裡里後后邊边遠远艱艰難难鄉乡鎮镇興兴" +
  "鞏巩聯联頂顶崗岗試试帶带頭头強强雙双讀读寫写聽听說说話话漢汉華华國国內内門门場场驗验證证獎奖稱称號号讓让認认識识總总結结" +
  "斷断診诊環环節节週周屆届預预額额錢钱補补貼贴階阶顧顾營营養养衛卫評评價价測测鐘钟復复盡尽團团戶户聲声細细綜综調调檢检舉举" +
  "權权極极熱热愛爱視视現现狀状況况擇择還还遞递進进運运過过適适獲获競竞賽赛錄录鏈链閱阅隨随險险陸陆順顺須须顯显風风飛飞館馆" +
  "擔担擴扩換换揮挥攜携暫暂東东樣样檔档歡欢氣气決决沒没濟济滿满漸渐無无爭争獨独異异療疗監监確确禮礼種种穩稳筆笔簡简紀纪約约" +
  "紅红納纳紙纸終终絡络絲丝維维綱纲緊紧緒绪縮缩繼继續续聖圣聞闻腦脑臨临舊旧藝艺裝装複复見见親亲覺觉訂订許许詞词詳详誌志談谈" +
  "諸诸講讲謝谢護护變变負负財财責责質质購购貸贷趨趋車车軍军輔辅輕轻較较載载輪轮輸输轉转農农郵邮醫医釋释針针錯错鍵键閉闭陳陈" +
  "隱隐雖虽雜杂離离電电靈灵靜静頁页頓顿飽饱餘余髮发鮮鲜齊齐雲云廣广懷怀揚扬慣惯獻献滬沪鋼钢礙碍夠够團团";

const T2S = new Map<string, string>();
for (let i = 0; i + 1 < T2S_PAIRS.length; i += 2) T2S.set(T2S_PAIRS[i]!, T2S_PAIRS[i + 1]!);

const HAN = /\p{Script=Han}/u;

/**
 * NFKC (full-width digits, letters and punctuation → half-width), lower case, traditional → simplified.
 * Keeps punctuation, so numbers and clauses stay apart.
 */
export function normalize(text: string): string {
  const nfkc = text.normalize("NFKC").toLowerCase();
  let out = "";
  for (const ch of nfkc) out += T2S.get(ch) ?? ch;
  return out;
}

/** Normalised, with everything but Han characters, letters and digits removed: for substring matching. */
export function compact(text: string): string {
  return normalize(text).replace(/[^\p{Script=Han}\p{L}\p{N}]+/gu, "");
}

export function isHan(ch: string): boolean {
  return HAN.test(ch);
}

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
