/**
 * Texts that are not an answer to a form's question: a greeting, a question or plea for help, or a
 * placeholder ("同上", "不知道", "？"). Typed at a step, they are answered or refused, never stored.
 * Pure; the tables of worked cases are in test/unit/non-answer.test.ts.
 */

export type NonAnswerKind = "greeting" | "question" | "placeholder" | "none";

export interface NonAnswer {
  kind: NonAnswerKind;
  /** The text as typed (trimmed), for the message. */
  text: string;
}

/** What the user typed, quoted back short: a message never grows with the input (4096 × "&" stays one line). */
export function echo(text: string, max = 20): string {
  const chars = [...text.trim()];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : chars.join("");
}

/** NFKC folds full-width letters and punctuation (？！，) so one table covers both. */
function fold(text: string): string {
  return text.normalize("NFKC").trim().toLowerCase();
}

const GREETING = /^(你好|您好|你们好|大家好|哈喽|嗨|hi|hello|hey|在吗|在不在|在么|有人吗|早上好|上午好|中午好|下午好|晚上好|早|早安|晚安|谢谢|谢谢你|谢谢您|多谢|感谢|好的|好|嗯|嗯嗯|哦|ok|okay|收到)[!~.。…呀啊呢哈]*$/;

/** Words that mean "the same as before", "I don't know", "to be decided", or fill a field for the sake of it. */
const PLACEHOLDER =
  /^(同上|同前|同左|同右|同负责人|同联系人|同前面|一样|和上面一样|跟上面一样|不知道|不清楚|不确定|不晓得|不懂|不会|忘了|待定|待填|待补|待补充|未定|未知|再说|以后再填|稍后填写|随便|随意|略|暂缺|空|空白|null|undefined|none|n\/a|na|test|测试|试试|xxx+|x+|某某|某某某|某某单位|某某学校|某单位|某学校|abc|asdf|qwe|本人|我|我自己|自己)$/;

/** Words that mean "nothing": a skip on an optional step, refused on a required one. */
const NONE = /^(无|没有|暂无|没|木有|无备注|没有了|不用|不需要|不填)$/;

/** Asking something: a question mark, a question word, or a plea for help. */
const QUESTION = /[?]|吗$|么$|呢$|啥|什么|怎么|如何|哪个|哪些|哪里|为什么|为啥|是否|能不能|可不可以|要不要|帮助|帮忙|help|不会填|咋填|填写说明|示例|举例|例子|看不懂/;

/** Only punctuation, symbols or emoji: nothing was typed. */
const NO_CONTENT = /^[\p{P}\p{S}\s]*$/u;

/** The same character over and over (哈哈哈, aaaa, 1111). */
const REPEATED = /^(.)\1{2,}$/u;

export function nonAnswer(raw: string): NonAnswer | undefined {
  const text = raw.trim();
  const t = fold(raw).replace(/\s+/g, "");
  if (NO_CONTENT.test(t)) return { kind: t.includes("?") ? "question" : "placeholder", text };
  const bare = t.replace(/[\p{P}\p{S}]+$/u, "");
  if (GREETING.test(bare)) return { kind: "greeting", text };
  if (NONE.test(bare)) return { kind: "none", text };
  if (PLACEHOLDER.test(bare) || REPEATED.test(bare)) return { kind: "placeholder", text };
  if (QUESTION.test(t)) return { kind: "question", text };
  return undefined;
}

/**
 * What the form says back. `what` names the field (申报单位); `help` says what to type, with an example.
 * The step's question follows this message, so the user sees at once what to do.
 */
export function nonAnswerMessage(n: NonAnswer, what: string, help: string): string {
  switch (n.kind) {
    case "greeting":
      return `您好！我们正在填写申报表，这一步需要${what}。${help}`;
    case "question":
      return `这一步需要填写${what}。${help}如想问指南里的问题，可以直接问，例如“县级骨干研修培训多少天？”。`;
    case "none":
      return `${what}为必填项，不能填“${echo(n.text)}”。${help}`;
    case "placeholder":
      return `“${echo(n.text)}”不能作为${what}保存。${help}暂时不清楚的话，可以点“✖️ 取消”，草稿会保留，稍后继续填写。`;
  }
}
