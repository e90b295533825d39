/**
 * Text normalisation shared by the number parser (forms and free text) and the free-text reader: full-width
 * forms, case and traditional characters folded, so "５０人", "縣級" and "50人", "县级" read the same.
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
  "隱隐雖虽雜杂離离電电靈灵靜静頁页頓顿飽饱餘余髮发鮮鲜齊齐雲云廣广懷怀揚扬慣惯獻献滬沪鋼钢礙碍夠够團团" +
  "兒儿衝冲歸归";

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
