/** /export (coordinators and admins): every declaration as a CSV (Excel-ready) and an XLSX document. */
import { Composer, InputFile } from "grammy";
import { declarationTable, exportFileName, toCsv, toXlsx } from "../../export/declarations.js";
import type { BotContext } from "../context.js";
import { requireCoordinator } from "../declarations.js";
import { send } from "../render.js";

export async function sendExport(ctx: BotContext): Promise<void> {
  if (!(await requireCoordinator(ctx))) return;
  const declarations = ctx.deps.store.declarations.all();
  if (!declarations.length) {
    await send(ctx, "暂无申报记录，没有可导出的内容。");
    return;
  }
  const now = ctx.deps.now();
  const tz = ctx.deps.config.TZ;
  const table = declarationTable(ctx.deps.knowledge, declarations, { timeZone: tz, now, userName: (id) => ctx.deps.store.users.get(id)?.name ?? "" });
  // Exported data holds contacts' phone numbers and e-mails: who took it is recorded.
  await ctx.deps.store.audit.append({ at: now.toISOString(), actor: ctx.account.id, action: "declarations.exported", detail: { rows: table.rows.length } });
  const caption = `申报汇总：${table.rows.length} 份（含全部状态）`;
  await ctx.replyWithDocument(new InputFile(toCsv(table), exportFileName(now, tz, "csv")), { caption: `${caption}。CSV 可直接用 Excel 打开。` });
  await ctx.replyWithDocument(new InputFile(await toXlsx(table), exportFileName(now, tz, "xlsx")), { caption: `${caption}。` });
}

export const exportFeature = new Composer<BotContext>();
exportFeature.command("export", sendExport);

