/** The web's Telegram-HTML allow-list, as a table of worked cases: what the bot sends → what the page may show. */
import { describe, expect, it } from "vitest";
import { renderTelegramHtml } from "../../src/web/telegram-html.js";

const CASES: [string, string, string][] = [
  ["plain text stays", "资格自测结果", "资格自测结果"],
  ["allowed tags kept", "<b>粗</b><i>斜</i><u>下</u><s>删</s><code>c</code>", "<b>粗</b><i>斜</i><u>下</u><s>删</s><code>c</code>"],
  ["Telegram synonyms mapped", "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><strike>e</strike>", "<b>a</b><i>b</i><u>c</u><s>d</s><s>e</s>"],
  ["pre and blockquote kept", "<pre>x</pre><blockquote>引</blockquote>", "<pre>x</pre><blockquote>引</blockquote>"],
  ["escaped text stays escaped", "新疆&lt;师大&gt; &amp; 附属", "新疆&#60;师大&#62; &#38; 附属"],
  ["script tag shown as text", "<script>alert(1)</script>", "&#60;script&#62;alert(1)&#60;/script&#62;"],
  ["attributes on allowed tags dropped", '<b onclick="x()">a</b>', "<b>a</b>"],
  ["http link kept, hardened", '<a href="https://example.org/x?a=1&amp;b=2">链接</a>', '<a href="https://example.org/x?a=1&#38;b=2" rel="noopener noreferrer" target="_blank">链接</a>'],
  ["javascript: link loses its href", '<a href="javascript:alert(1)">x</a>', "<a>x</a>"],
  ["entity-encoded javascript: too", '<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>"],
  ["img is not allowed", '<img src=x onerror=alert(1)>', "&#60;img src=x onerror=alert(1)&#62;"],
  ["unclosed tags are closed", "<b>未闭合<i>斜", "<b>未闭合<i>斜</i></b>"],
  ["a stray closing tag is text", "a</b>b", "a&#60;/b&#62;b"],
  ["misnested closing tag is text", "<b><i>x</b></i>", "<b><i>x&#60;/b&#62;</i></b>"],
  ["quotes escaped", `他说"好"'吗'`, "他说&#34;好&#34;&#39;吗&#39;"],
  ["a bare < that is no tag", "1 < 2", "1 &#60; 2"],
];

describe("renderTelegramHtml", () => {
  it.each(CASES)("%s", (_name, input, expected) => {
    expect(renderTelegramHtml(input)).toBe(expected);
  });

  it("never lets a tag outside the allow-list through, whatever the input", () => {
    const nasty = ['<iframe src="//x">', "<svg/onload=alert(1)>", "<<b>>", "<b\nonmouseover=1>", "</blockquote><script>", "<a href='https://x' onclick='y'>z</a>"];
    for (const s of nasty) {
      const out = renderTelegramHtml(s);
      const tags = [...out.matchAll(/<\/?([a-z]+)([^>]*)>/g)];
      for (const t of tags) {
        expect(["b", "i", "u", "s", "code", "pre", "blockquote", "a"]).toContain(t[1]);
        if (t[1] !== "a") expect(t[2]).toBe("");
        else expect(t[2]).not.toMatch(/on\w+=/i);
      }
    }
  });
});
