/** /export (coordinators and admins): every declaration as a CSV (Excel-ready) and an XLSX document. */
import { Composer, InputFile } from "grammy";
import { exportInChild } from "../../export/export-in-child.js";
import { exportRows } from "../../services/stats.js";
import { servicesOf, type BotContext } from "../context.js";
import { showRefusal } from "../declarations.js";
import { send } from "../render.js";

export async function sendExport(ctx: BotContext): Promise<void> {
  const out = await exportRows(servicesOf(ctx.deps), ctx.account.id);
  if (!out.ok) return showRefusal(ctx, out);
  if (!out.count) {
    await send(ctx, "暂无申报记录，没有可导出的内容。");
    return;
  }
  // Made in a child process from batches of the scan, written to disk and sent from there: the rows
  // and exceljs never sit in the bot's heap, and the bot keeps answering meanwhile.
  const files = exportInChild({ declarations: out.declarations, ownerNames: out.ownerNames, timeZone: ctx.deps.config.TZ, now: ctx.deps.now() });
  for await (const file of files) {
    const caption = `申报汇总：${file.rows} 份（含全部状态）`;
    await ctx.replyWithDocument(new InputFile(file.path), { caption: file.kind === "csv" ? `${caption}。CSV 可直接用 Excel 打开。` : `${caption}。` });
  }
}

export const exportFeature = new Composer<BotContext>();
exportFeature.command("export", sendExport);
