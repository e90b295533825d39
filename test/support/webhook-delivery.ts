/**
 * Telegram's side of webhook mode for the fake Bot API, with a load balancer in front of several bot
 * instances: every update pushed to the fake (sendText, tapButton, …) is POSTed to one of the
 * instances' webhook URLs — alternately or at random — with the secret the bot registered. Like
 * Telegram, one update of a chat is in flight at a time, and an update not answered 200 (an instance
 * killed, a 5xx) is sent again, to the next instance.
 *
 *   const delivery = startWebhookDelivery(api, [urlA, urlB], { order: "alternate" });
 *   api.sendText(42, "/start");   // reaches A or B
 *   delivery.log                  // every attempt: update_id, target index, HTTP status or error
 *   await delivery.stop();
 */
import type { Update } from "grammy/types";
import type { FakeBotApi } from "./fake-bot-api.js";

export interface DeliveryAttempt {
  updateId: number;
  target: number;
  status: number | "error";
}

export interface WebhookDelivery {
  readonly log: DeliveryAttempt[];
  /** Update ids answered 200, in the order they were answered. */
  readonly delivered: number[];
  /** Updates not yet answered 200. */
  pending(): number;
  stop(): Promise<void>;
}

const chatOf = (u: Update): number => {
  const m = u.message ?? u.edited_message ?? u.callback_query?.message;
  return m?.chat.id ?? u.callback_query?.from.id ?? u.my_chat_member?.chat.id ?? 0;
};

export interface DeliveryOptions {
  order?: "alternate" | "random";
  secret?: string;
  retryMs?: number;
  /** Sends this update to the given target (first attempt only), e.g. to keep state held in one process. */
  pin?: (update: Update) => number | undefined;
}

export function startWebhookDelivery(api: FakeBotApi, targets: string[], opts: DeliveryOptions = {}): WebhookDelivery {
  const log: DeliveryAttempt[] = [];
  const delivered: number[] = [];
  const chats = new Map<number, Update[]>();
  const busy = new Set<number>();
  const running = new Set<Promise<void>>();
  let turn = 0;
  let stopped = false;
  const next = () => (opts.order === "random" ? Math.floor(Math.random() * targets.length) : turn++ % targets.length);

  const post = async (u: Update): Promise<void> => {
    let pinned = opts.pin?.(u);
    for (;;) {
      if (stopped) return;
      const target = pinned ?? next();
      pinned = undefined;
      const secret = opts.secret ?? api.webhook?.secret_token;
      let status: number | "error" = "error";
      try {
        const res = await fetch(targets[target]!, {
          method: "POST",
          headers: { "content-type": "application/json", ...(secret ? { "X-Telegram-Bot-Api-Secret-Token": secret } : {}) },
          body: JSON.stringify(u),
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = "error";
      }
      log.push({ updateId: u.update_id, target, status });
      if (status === 200) {
        delivered.push(u.update_id);
        return;
      }
      await new Promise((r) => setTimeout(r, opts.retryMs ?? 100));
    }
  };

  const pump = (chat: number) => {
    if (busy.has(chat) || stopped) return;
    const queue = chats.get(chat);
    const u = queue?.shift();
    if (!u) return;
    busy.add(chat);
    const task: Promise<void> = post(u).finally(() => {
      busy.delete(chat);
      running.delete(task);
      pump(chat);
    });
    running.add(task);
  };

  api.webhookSink = (u) => {
    const chat = chatOf(u);
    const queue = chats.get(chat) ?? [];
    queue.push(u);
    chats.set(chat, queue);
    pump(chat);
  };

  return {
    log,
    delivered,
    pending: () => [...chats.values()].reduce((n, q) => n + q.length, 0) + busy.size,
    async stop() {
      stopped = true;
      api.webhookSink = undefined;
      await Promise.allSettled([...running]);
    },
  };
}
