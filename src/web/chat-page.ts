/**
 * The chat page, rendered on the server: it works without JavaScript (forms post and redirect back),
 * and the script (assets/chat.js) only swaps in the same fragments as they arrive over SSE or polling.
 * Bot text goes through the Telegram-HTML allow-list; everything else is escaped.
 */
import type { WebMessage } from "./chat-hub.js";
import { escapeHtml, renderTelegramHtml } from "./telegram-html.js";

export const APP_TITLE = "国培/区培 申报助手";

export function layout(opts: { title: string; css: string; script?: string; csrf?: string; body: string; bodyClass?: string }): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="stylesheet" href="/assets/${opts.css}">
${opts.csrf ? `<meta name="csrf-token" content="${escapeHtml(opts.csrf)}">` : ""}
</head><body${opts.bodyClass ? ` class="${opts.bodyClass}"` : ""}>
${opts.body}
${opts.script ? `<script src="/assets/${opts.script}" defer></script>` : ""}
</body></html>`;
}

export function csrfField(csrf: string): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">`;
}

/** One message as an HTML fragment (the same on first load and when pushed). */
export function renderMessage(m: WebMessage, csrf: string): string {
  const body =
    m.from === "user"
      ? escapeHtml(m.text)
      : (m.file?.image ? `<img class="photo" src="/chat/files/${encodeURIComponent(m.file.id)}" alt="统计图">\n` : "") +
        renderTelegramHtml(m.text) +
        (m.file && !m.file.image ? `${m.text ? "\n" : ""}<a class="file" href="/chat/files/${encodeURIComponent(m.file.id)}" download>📎 ${escapeHtml(m.file.name)}</a>` : "");
  let keyboard = "";
  if (m.buttons.length) {
    const rows = m.buttons
      .map((row, r) => {
        const cells = row.map((b, c) =>
          b.url
            ? `<a class="btn" href="${escapeHtml(b.url)}" rel="noopener noreferrer" target="_blank">${escapeHtml(b.label)}</a>`
            : `<button type="submit" name="b" value="${m.id}:${r}:${c}">${escapeHtml(b.label)}</button>`,
        );
        return `<div class="row">${cells.join("")}</div>`;
      })
      .join("");
    keyboard = `<form class="kb" method="post" action="/chat/tap">${csrfField(csrf)}${rows}</form>`;
  }
  return `<div class="msg ${m.from}" id="m${m.id}" data-v="${m.version}"><div class="bubble">${body}</div>${keyboard}</div>`;
}

export function chatPage(messages: WebMessage[], version: number, csrf: string): string {
  const log = messages.map((m) => renderMessage(m, csrf)).join("\n");
  const body = `<header class="top"><h1>${escapeHtml(APP_TITLE)}</h1><a href="/desk" class="desk-link">协调员工作台</a></header>
<main id="log" data-version="${version}" aria-live="polite">
${log}
<div id="end"></div>
</main>
<div id="toast" role="status" hidden></div>
<form id="send" class="composer" method="post" action="/chat/send">${csrfField(csrf)}
<input id="text" name="text" maxlength="4000" autocomplete="off" placeholder="输入问题，或点上方按钮" aria-label="输入消息" required>
<button type="submit">发送</button>
</form>
<nav class="shortcuts" aria-label="常用">
<form method="post" action="/chat/send">${csrfField(csrf)}<button name="text" value="/start">主菜单</button><button name="text" value="/eligibility">资格自测</button><button name="text" value="/projects">项目浏览</button><button name="text" value="/declare">申报</button><button name="text" value="/my">我的申报</button></form>
</nav>`;
  return layout({ title: APP_TITLE, css: "chat.css", script: "chat.js", csrf, body, bodyClass: "chat" });
}
