/** Telegram HTML needs only these three escaped (https://core.telegram.org/bots/api#html-style). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
