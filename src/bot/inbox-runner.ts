/**
 * Updates in through a durable inbox, handled once in effect through kill -9:
 *
 * - the source (long polling here, the webhook in run-telegram.ts) stores each update in the inbox
 *   by update_id before it is acknowledged: the next getUpdates offset, or the webhook's 200, comes
 *   only after inbox.add() resolved (fsynced). So no fetched update is lost in a crash;
 * - a redelivered update_id (Telegram resending what we had not confirmed yet) is not stored again,
 *   so it is not handled twice;
 * - the sink claims pending updates, the oldest of each chat first, and hands them to grammY, many
 *   chats at once; an update is marked done when it is answered (the outgoing path reports its
 *   first successful send, so a crash right after the reply does not repeat it) or when its handler
 *   ends. A restarted bot handles whatever was stored and not done;
 * - per-chat order: the inbox never hands out a chat's next update while an older one is pending,
 *   and grammY's `sequentialize` (create-bot.ts) keeps one handler per chat in this process.
 *
 * This replaces @grammyjs/runner's source, which confirms updates to Telegram when it fetches them
 * (its docs suggest a durable queue between source and sink for this reason).
 */
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { handlingUpdate } from "../outgoing/outbox.js";
import type { InboxRepo } from "../store/types.js";
import type { BotContext } from "./context.js";

export const ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"] as const;

/** A claimed update not done in this long may be claimed again (another instance, after a crash). */
const LEASE_MS = 10 * 60_000;
/** Done updates are remembered this long, for redeliveries. */
const KEEP_DONE_MS = 24 * 60 * 60_000;

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The chat an update belongs to (the same key as sequentialize's), or undefined. */
export function chatOf(update: Update): number | undefined {
  const u = update as Update & Record<string, { chat?: { id: number }; from?: { id: number }; message?: { chat: { id: number } } } | undefined>;
  for (const key of Object.keys(u)) {
    if (key === "update_id") continue;
    const v = u[key];
    if (!v || typeof v !== "object") continue;
    return v.chat?.id ?? v.message?.chat.id ?? v.from?.id;
  }
  return undefined;
}

export function inboxRecord(update: Update, now: Date) {
  return { updateId: update.update_id, chatId: chatOf(update), update, receivedAt: now.toISOString() };
}

export interface InboxSink {
  /** Something was stored: look for work. */
  wake(): void;
  /** Stops claiming and waits (up to `ms`) for the handlers running. */
  stop(ms?: number): Promise<void>;
}

/** Hands pending updates to the bot, up to `concurrency` at once (different chats). */
export function startInboxSink(
  bot: Bot<BotContext>,
  inbox: InboxRepo,
  opts: {
    owner: string;
    logger: Logger;
    concurrency?: number;
    now?: () => Date;
    alreadyAnswered?: (updateId: number) => boolean;
    /** A claim's lease (default 10 min). A shared inbox (PostgreSQL) renews it while held, so it can be short. */
    leaseMs?: number;
    /** Also look for work this often: on a shared inbox another instance's done() frees a chat and nobody wakes us. */
    pollMs?: number;
  },
): InboxSink {
  const concurrency = opts.concurrency ?? 200;
  const now = opts.now ?? (() => new Date());
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let pumping = false;
  let again = false;

  const handle = async (record: { updateId: number; update: unknown }) => {
    if (opts.alreadyAnswered?.(record.updateId)) {
      // Its reply was on the wire when the last process died: answering again would repeat it.
      opts.logger.info({ update: record.updateId }, "update answered before the restart; not handled again");
      await inbox.done(record.updateId, now().toISOString()).catch((err: unknown) => opts.logger.error({ err, update: record.updateId }, "cannot mark an update done"));
      return;
    }
    try {
      await handlingUpdate.run({ updateId: record.updateId }, () => bot.handleUpdate(record.update as Update));
    } catch (err) {
      // The error boundary answers handler errors; this is grammY itself failing (bot.catch logs too).
      opts.logger.error({ err, update: record.updateId }, "update could not be handled");
    }
    await inbox.done(record.updateId, now().toISOString()).catch((err: unknown) => opts.logger.error({ err, update: record.updateId }, "cannot mark an update done"));
  };

  const pump = async () => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!stopped && running.size < concurrency) {
          const room = concurrency - running.size;
          const batch = await inbox.claim(opts.owner, room, leaseMs, now().toISOString());
          for (const record of batch) {
            const task: Promise<void> = handle(record).finally(() => {
              running.delete(task);
              void pump();
            });
            running.add(task);
          }
          // Fewer than there was room for: nothing else was claimable. Whatever is stored or freed
          // from now on wakes the pump again (`again`), so asking once more now would only cost a
          // round trip (on PostgreSQL, an empty claim after every claim).
          if (batch.length < room) break;
        }
      } while (again && !stopped);
    } catch (err) {
      opts.logger.error({ err }, "inbox claim failed; retrying soon");
      setTimeout(() => void pump(), 1000).unref();
    } finally {
      pumping = false;
    }
  };

  const prune = setInterval(() => {
    inbox.prune(new Date(now().getTime() - KEEP_DONE_MS).toISOString()).catch((err: unknown) => opts.logger.warn({ err }, "inbox prune failed"));
  }, 60 * 60_000);
  prune.unref();
  const poll = opts.pollMs ? setInterval(() => void pump(), opts.pollMs) : undefined;
  poll?.unref();

  void inbox.countPending().then((n) => {
    if (n > 0) opts.logger.info({ pending: n }, "handling updates stored before the restart");
  });
  void pump();
  return {
    wake: () => void pump(),
    async stop(ms = 10_000) {
      stopped = true;
      clearInterval(prune);
      if (poll) clearInterval(poll);
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, ms).unref())]);
    },
  };
}

/**
 * Long polling into the inbox: getUpdates, store the batch durably, and only then ask for the next
 * offset (which confirms the batch to Telegram). Retries with backoff on errors; 409 (another
 * instance polls, or a webhook is set) and 401 are logged loudly.
 */
export function pollIntoInbox(bot: Bot<BotContext>, inbox: InboxRepo, sink: InboxSink, opts: { logger: Logger; now?: () => Date }): { stop(): Promise<void> } {
  const now = opts.now ?? (() => new Date());
  const abort = new AbortController();
  let offset = 0;
  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      let updates: Update[];
      try {
        updates = await bot.api.getUpdates({ offset, limit: 100, timeout: 30, allowed_updates: [...ALLOWED_UPDATES] }, abort.signal as never);
        failures = 0;
      } catch (err) {
        if (abort.signal.aborted) break;
        failures++;
        const code = (err as { error_code?: number }).error_code;
        const log = code === 409 || code === 401 ? opts.logger.error.bind(opts.logger) : opts.logger.warn.bind(opts.logger);
        log({ err, failures }, "getUpdates failed; retrying");
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(failures, 6))));
        continue;
      }
      if (updates.length === 0) continue;
      // Stored (fsynced) before the next offset confirms them; a failed store is retried, not skipped.
      for (;;) {
        try {
          await Promise.all(updates.map((u) => inbox.add(inboxRecord(u, now()))));
          break;
        } catch (err) {
          opts.logger.error({ err }, "cannot store updates in the inbox; retrying before confirming them");
          await new Promise((r) => setTimeout(r, 1000));
          if (abort.signal.aborted) return;
        }
      }
      offset = updates.at(-1)!.update_id + 1;
      sink.wake();
    }
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
