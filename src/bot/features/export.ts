/** /export (coordinators and admins): every declaration as a CSV (Excel-ready) and an XLSX document. */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Composer, InputFile } from "grammy";
import { declarationTable, exportFileName, writeCsv, writeXlsx } from "../../export/declarations.js";
import { exportRows } from "../../services/stats.js";
import { servicesOf, type BotContext } from "../context.js";
import { showRefusal } from "../declarations.js";
import { send } from "../render.js";

export async function sendExport(ctx: BotContext): Promise<void> {
  const out = await exportRows(servicesOf(ctx.deps), ctx.account.id);
  if (!out.ok) return showRefusal(ctx, out);
  if (!out.declarations.length) {
    await send(ctx, "暂无申报记录，没有可导出的内容。");
    return;
  }
  const now = ctx.deps.now();
  const tz = ctx.deps.config.TZ;
  const table = declarationTable(ctx.deps.knowledge, out.declarations, { timeZone: tz, now, userName: out.ownerName });
  const caption = `申报汇总：${table.count} 份（含全部状态）`;
  // Written to temporary files and sent from disk: a season's export is never held in memory whole.
  const dir = await mkdtemp(join(tmpdir(), "guopei-export-"));
  try {
    const csv = join(dir, exportFileName(now, tz, "csv"));
    const xlsx = join(dir, exportFileName(now, tz, "xlsx"));
    await writeCsv(table, createWriteStream(csv));
    await ctx.replyWithDocument(new InputFile(csv), { caption: `${caption}。CSV 可直接用 Excel 打开。` });
    await writeXlsx(table, createWriteStream(xlsx));
    await ctx.replyWithDocument(new InputFile(xlsx), { caption: `${caption}。` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const exportFeature = new Composer<BotContext>();
exportFeature.command("export", sendExport);

