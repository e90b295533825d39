/**
 * The reminder service. node-cron is only a trigger (REMINDER_CRON in TZ, plus once at start-up
 * and on demand after /deadline or /broadcast): each run reads the stored state, works out what is
 * due and sends what the ledger lacks. So ticks missed while the bot was down are caught up, and a
 * restarted bot finishes an interrupted broadcast. Runs never overlap: a trigger during a run
 * schedules one more pass after it.
 *
 * A run: unfinished one-off broadcasts first (oldest first), then the due reminders (the latest due
 * offset of each deadline). Sends go through `api`, the bulk entry of the one outgoing path
 * (src/outgoing/outbox.ts): one pace for replies and broadcasts, replies first.
 */
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import type { Api } from "grammy";
import cron, { type ScheduledTask } from "node-cron";
import type { Deps } from "../bot/context.js";
import { dueReminders, type DueReminder } from "../domain/reminders.js";
import type { BroadcastRecord, DeadlineRecord } from "../store/types.js";
import { broadcast, type BroadcastResult, type OutgoingMessage, type Progress, type SendFn } from "./broadcaster.js";
import { Journal } from "../store/line-journal.js";
import { audience, broadcastMessage, reminderRenderer } from "./content.js";

/** grammY types its signals with the abort-controller polyfill; Node's own AbortSignal is what it gets at run time. */
const grammySignal = (s: AbortSignal) => s as unknown as Parameters<Api["sendMessage"]>[3];

export const broadcastDelivery = (id: string) => `broadcast:${id}`;

/** Progress edits of a /broadcast, at most this often. */
const PROGRESS_EVERY_MS = 2000;

export interface RunSummary {
  delivery: string;
  result: BroadcastResult;
}

export interface ReminderService {
  /** Runs a check now (or one more pass after the running one); resolves when it is done. */
  trigger(reason: string): Promise<RunSummary[]>;
  /** Results of the most recent send of each delivery in this process. */
  lastResult(delivery: string): BroadcastResult | undefined;
  stop(): void;
}

let current: ReminderService | undefined;

/** The running service (Telegram mode), for features that add deadlines or broadcasts. */
export function reminderService(): ReminderService | undefined {
  return current;
}

export interface ReminderOptions {
  /** Replaces sendMessage (tests); default: api.sendMessage. */
  send?: SendFn;
  /** Skip the start-up run (tests). */
  noStartupRun?: boolean;
  /** This instance's name as a ledger claimant (stable per data folder: a restart takes back its own claims). */
  owner?: string;
}

export function startReminders(deps: Deps, api: Api, opts: ReminderOptions = {}): ReminderService & { stop(): void } {
  const { config, store, logger } = deps;
  const log = logger.child({ part: "reminders" });
  const abort = new AbortController();
  // Every queued send listens on it (grammY and the call timeout each add one): many, not a leak.
  setMaxListeners(0, abort.signal);
  const send: SendFn =
    opts.send ??
    ((chatId: number, m: OutgoingMessage) =>
      api.sendMessage(chatId, m.text, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, ...(m.replyMarkup ? { reply_markup: m.replyMarkup } : {}) }, grammySignal(abort.signal)));
  const results = new Map<string, BroadcastResult>();
  let stopped = false;

  const markUnreachable = async (chatId: number) => {
    const user = (await store.users.getByChat(chatId)) ?? (await store.users.get(chatId));
    if (user?.reachable) await store.users.put({ ...user, reachable: false });
  };

  // Every reached chat is noted here at once (one write(2), safe from kill -9) and moved into the
  // ledger; the journal is emptied once the ledger has them durably. A restart replays it first,
  // so a crash repeats only the sends in flight, not the ledger's last uncommitted batch.
  const { journal, lines: unrecorded } = Journal.open(join(config.DATA_DIR, "outbox", "sent.log"));
  let replayed = false;
  const replayJournal = async () => {
    if (replayed) return;
    // Recorded together and flushed once: awaiting each record would wait a group commit per line.
    const records: Promise<void>[] = [];
    for (const line of unrecorded) {
      try {
        const [delivery, chatId] = JSON.parse(line) as [string, number];
        if (typeof delivery === "string" && Number.isSafeInteger(chatId)) records.push(store.ledger.record(delivery, chatId));
      } catch (err) {
        log.warn({ err, line }, "unreadable line in the send journal; skipped");
      }
    }
    await Promise.all(records);
    await store.ledger.flush();
    journal.rewrite([]);
    replayed = true;
    if (unrecorded.length) log.info({ records: unrecorded.length }, "send journal replayed into the ledger");
  };
  const journalled = (delivery: string) => ({
    onReached: (chatId: number) => journal.append(JSON.stringify([delivery, chatId])),
  });
  /** After a delivery: the ledger holds everything durably (broadcast() flushed it), so the journal may go. */
  const clearJournal = () => {
    try {
      journal.rewrite([]);
    } catch (err) {
      log.warn({ err }, "cannot empty the send journal (it is replayed harmlessly at start)");
    }
  };

  const common = {
    send,
    ledger: store.ledger,
    markUnreachable,
    signal: abort.signal,
    logger: log,
    ...(opts.owner ? { owner: opts.owner } : {}),
  };

  async function runReminder(due: DueReminder<DeadlineRecord>): Promise<BroadcastResult | undefined> {
    const recipients = await audience({ store, adminIds: config.ADMIN_IDS }, deps.knowledge, due.deadline.scope);
    const todo = await store.ledger.missing(due.delivery, recipients.map((r) => r.chatId));
    if (todo.length === 0) return undefined;
    log.info({ delivery: due.delivery, recipients: todo.length }, "sending deadline reminder");
    const render = reminderRenderer({ store, knowledge: deps.knowledge, now: deps.now(), timeZone: config.TZ }, due.deadline, due.daysLeft, recipients);
    return broadcast(
      { delivery: due.delivery, chats: todo, render },
      { ...common, ...journalled(due.delivery), shouldStop: async () => (await store.deadlines.get(due.deadline.id)) === undefined },
    );
  }

  async function editProgress(b: BroadcastRecord, text: string, withStop: boolean): Promise<void> {
    if (!b.progress) return;
    const { chatId, messageId } = b.progress;
    if (abort.signal.aborted) return;
    const markup = withStop ? { reply_markup: { inline_keyboard: [[{ text: "⏹ 停止群发", callback_data: `bc|stop|${b.id}` }]] } } : {};
    await api.editMessageText(chatId, messageId, text, { parse_mode: "HTML", ...markup }, grammySignal(abort.signal)).catch((err: unknown) => log.debug({ err }, "progress edit failed"));
  }

  async function runBroadcast(b: BroadcastRecord): Promise<BroadcastResult> {
    const delivery = broadcastDelivery(b.id);
    const recipients = await audience({ store, adminIds: config.ADMIN_IDS }, deps.knowledge);
    const message = broadcastMessage(b.text);
    const failedBefore = b.failed ?? 0;
    const counts = async (p: Progress) => {
      // given up only: deferred chats (claimed by another instance, or failing for now) are sent by a later run
      const failed = failedBefore + p.failed - (p.deferred ?? 0);
      return { sent: Math.max(0, (await store.ledger.countReached(delivery)) - failed), failed, remaining: p.remaining };
    };
    log.info({ delivery, recipients: recipients.length }, "sending broadcast");
    const result = await broadcast(
      { delivery, chats: recipients.map((r) => r.chatId), render: () => message },
      {
        ...common,
        ...journalled(delivery),
        progressEveryMs: PROGRESS_EVERY_MS,
        shouldStop: async () => (await store.broadcasts.get(b.id))?.cancelledAt !== undefined,
        onProgress: async (p) => {
          if (p.remaining === 0) return; // the final report follows
          const c = await counts(p);
          await store.broadcasts.put({ ...((await store.broadcasts.get(b.id)) ?? b), failed: c.failed });
          await editProgress(b, `📢 <b>群发进行中…</b>\n已发送 ${c.sent}\u3000失败 ${c.failed}\u3000剩余 ${c.remaining}`, true);
        },
      },
    );
    const c = await counts(result);
    const latest = (await store.broadcasts.get(b.id)) ?? b;
    const cancelled = latest.cancelledAt !== undefined;
    const done = !cancelled && result.remaining === 0 && result.deferred === 0;
    await store.broadcasts.put({ ...latest, failed: c.failed, ...(done ? { finishedAt: deps.now().toISOString() } : {}) });
    if (done || cancelled) {
      const seconds = Math.max(1, Math.round((deps.now().getTime() - Date.parse(b.createdAt)) / 1000));
      const head = cancelled ? "⏹ <b>群发已停止</b>" : "✅ <b>群发完成</b>";
      const tail = c.failed > 0 ? "\n失败的用户已屏蔽机器人或无法送达，他们再次给机器人发消息后会恢复接收。" : "";
      await editProgress(latest, `${head}\n已发送 ${c.sent}\u3000失败 ${c.failed}${cancelled ? `\u3000未发送 ${c.remaining}` : ""}\n用时 ${seconds} 秒${tail}`, false);
    } else if (result.deferred > 0 && !abort.signal.aborted) {
      await editProgress(latest, `📢 <b>群发暂未完成</b>\n已发送 ${c.sent}\u3000失败 ${c.failed}\n有 ${result.deferred} 人因网络错误暂未送达，将在下次定时检查时重试。`, false);
    }
    return result;
  }

  async function runOnce(): Promise<RunSummary[]> {
    const summaries: RunSummary[] = [];
    await replayJournal();
    const note = (delivery: string, result: BroadcastResult | undefined) => {
      if (!result) return;
      clearJournal();
      results.set(delivery, result);
      summaries.push({ delivery, result });
      log.info({ delivery, sent: result.sent, failed: result.failed, remaining: result.remaining, tooManyRequests: result.tooManyRequests, ms: result.elapsedMs }, "delivery done");
    };
    for (const b of await store.broadcasts.unfinished()) {
      if (stopped) return summaries;
      note(broadcastDelivery(b.id), await runBroadcast(b));
    }
    for (const due of dueReminders(await store.deadlines.list(), config.REMINDER_OFFSETS, deps.now(), config.TZ)) {
      if (stopped) return summaries;
      note(due.delivery, await runReminder(due));
    }
    return summaries;
  }

  let running: Promise<RunSummary[]> | undefined;
  let again = false;
  const loop = async (): Promise<RunSummary[]> => {
    const all: RunSummary[] = [];
    do {
      again = false;
      try {
        all.push(...(await runOnce()));
      } catch (err) {
        log.error({ err }, "reminder run failed");
      }
    } while (again && !stopped);
    return all;
  };

  const service: ReminderService & { stop(): void } = {
    trigger(reason) {
      if (stopped) return Promise.resolve([]);
      log.debug({ reason }, "reminder check");
      if (running) {
        again = true;
        return running;
      }
      running = loop().finally(() => {
        running = undefined;
      });
      return running;
    },
    lastResult: (delivery) => results.get(delivery),
    stop() {
      if (stopped) return;
      stopped = true;
      void task.stop();
      abort.abort();
      if (current === service) current = undefined;
      // Not closed: a run still finishing may note its last sends; the process exits soon after.
    },
  };

  const background = (reason: string) => deps.background(() => service.trigger(reason), `reminder run (${reason})`);
  const task: ScheduledTask = cron.schedule(config.REMINDER_CRON, () => background("cron"), {
    timezone: config.TZ,
    name: "deadline-reminders",
    logger: {
      info: (m) => log.debug(m),
      warn: (m) => log.debug(m),
      error: (m, err) => log.error({ err: err ?? m }, "node-cron error"),
      debug: () => {},
    },
  });
  current = service;
  if (!opts.noStartupRun) background("start-up");
  return service;
}
