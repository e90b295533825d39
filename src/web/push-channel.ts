/**
 * The seam for push channels a user here actually gets — WeCom (企业微信) self-built apps for staff, a
 * WeChat Official Account (认证服务号) template/subscribe message, SMS — none of which is built: each
 * needs an external account and a public HTTPS callback, and nothing emulates them offline, so nothing
 * here could be tested. What a channel must do, and where it plugs in:
 *
 * - The web transport (ChatHub) calls `offline(userId, message)` for a message to a web visitor who has
 *   no page open (a review notice, a deadline reminder). A channel that knows how to reach that person
 *   (a WeCom userid, an OA openid, a verified phone number, linked with a one-time code like /link)
 *   sends a short notice with a link back to the page; the message itself stays in the transcript.
 * - Facts to respect (researched for round 2): WeCom callbacks must be answered within 5 s or they are
 *   retried three times (acknowledge first, work from a durable inbox); an app may send one member about
 *   30 messages a minute and the excess is silently dropped (pace per member, never rely on delivery);
 *   `@wecom/crypto` passes the official sample vector (use it for callback signatures). SMS needs a
 *   provider template approved in advance: send the fixed template with the reference number only.
 * - Sends are at-least-once like Telegram's; a channel records what it sent in the delivery ledger.
 */

export interface PushMessage {
  /** Telegram-subset HTML, as the bot sent it; a channel reduces it to what it can show. */
  text: string;
}

export interface PushChannel {
  readonly name: "wecom" | "wechat-oa" | "sms";
  /** Whether this person has linked this channel. */
  reaches(userId: number): Promise<boolean>;
  /** Sends a notice; resolves false when the channel refused it (not linked, rate-limited, blocked). */
  send(userId: number, message: PushMessage): Promise<boolean>;
}

/** The first channel that reaches the user gets the notice; none configured means the page shows it on the next visit. */
export function offlineNotifier(channels: readonly PushChannel[], onError: (err: unknown) => void): (userId: number, message: PushMessage) => void {
  return (userId, message) => {
    if (!channels.length) return;
    void (async () => {
      for (const channel of channels) {
        if (!(await channel.reaches(userId))) continue;
        if (await channel.send(userId, message)) return;
      }
    })().catch(onError);
  };
}
