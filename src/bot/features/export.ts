/** /export (coordinators and admins): every declaration as a CSV (Excel-ready) and an XLSX document. */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Composer, InputFile } from "grammy";
import { declarationTable, exportFileName, writeCsv, writeXlsx } from "../../export/declarations.js";
import type { DeclarationRecord } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { requireCoordinator } from "../declarations.js";
import { send } from "../render.js";

export async function sendExport(ctx: BotContext): Promise<void> {
  if (!(await requireCoordinator(ctx))) return;
  const store = ctx.deps.store;
  if ((await store.declarations.count()) === 0) {
    await send(ctx, "暂无申报记录，没有可导出的内容。");
    return;
  }
  const now = ctx.deps.now();
  const tz = ctx.deps.config.TZ;
  // The table needs every row twice (columns, then rows): scanned in ref order, owners' names looked up once each.
  const declarations: DeclarationRecord[] = [];
  for await (const d of store.declarations.scan({}, { by: "ref", dir: "asc" })) declarations.push(d);
  const names = new Map<number, string>();
  for (const id of new Set(declarations.map((d) => d.ownerId))) names.set(id, (await store.users.get(id))?.name ?? "");
  const table = declarationTable(ctx.deps.knowledge, declarations, { timeZone: tz, now, userName: (id) => names.get(id) ?? "" });
  // Exported data holds contacts' phone numbers and e-mails: who took it is recorded.
  await ctx.deps.store.audit.append({ at: now.toISOString(), actor: ctx.account.id, action: "declarations.exported", detail: { rows: table.count } });
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

