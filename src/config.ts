import { z } from "zod";
import cron from "node-cron";

/** Comma-separated positive integers, e.g. "7,3,1,0" or "123,456". */
const intList = (what: string) =>
  z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^\d+$/, `${what} must be comma-separated whole numbers`)).transform((xs) => xs.map(Number)));

const ConfigSchema = z
  .object({
    BOT_TOKEN: z.string().trim().optional().transform((s) => (s ? s : undefined)),
    TELEGRAM_API_ROOT: z
      .url({ error: "TELEGRAM_API_ROOT must be a URL such as https://api.telegram.org" })
      .default("https://api.telegram.org")
      .transform((s) => s.replace(/\/+$/, "")),
    DATA_DIR: z.string().min(1).default("./data"),
    ADMIN_IDS: intList("ADMIN_IDS").default([]),
    REMINDER_CRON: z
      .string()
      .default("0 0 9 * * *")
      .refine((s) => cron.validate(s), { error: "REMINDER_CRON is not a valid node-cron expression" }),
    REMINDER_OFFSETS: intList("REMINDER_OFFSETS").default([7, 3, 1, 0]),
    /** Every send (replies, edits, documents, broadcasts), messages per second across all chats (Telegram: about 30). */
    OUTGOING_RATE: z.coerce.number().positive().max(1000).default(30),
    /** Sustained messages per second to one chat (Telegram: about 1), and how many may go at once before it applies. */
    OUTGOING_PER_CHAT_RATE: z.coerce.number().positive().max(100).default(1),
    OUTGOING_PER_CHAT_BURST: z.coerce.number().int().positive().max(100).default(3),
    /** Bulk sends (broadcasts, reminders) per second: at most OUTGOING_RATE, so replies keep some room. */
    BROADCAST_RATE: z.coerce.number().int().positive().max(1000).default(25),
    /** A Bot API call not answered within this many seconds (getUpdates: beyond its long poll) is given up and retried. */
    API_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
    TZ: z
      .string()
      .default("Asia/Shanghai")
      .refine(isTimeZone, { error: "TZ must be an IANA time zone such as Asia/Shanghai" }),
    WEBHOOK_URL: z.url().optional(),
    WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, "WEBHOOK_SECRET: 16-256 of A-Z a-z 0-9 _ -").optional(),
    PORT: z.coerce.number().int().positive().default(8080),
    /** When set, the same process serves the chat page and the coordinators' desk on this port (every mode). */
    /** PostgreSQL instead of the embedded store (any number of bot processes on one database, in webhook mode). */
    DATABASE_URL: z
      .string()
      .trim()
      .optional()
      .transform((s) => (s ? s : undefined))
      .refine((s) => s === undefined || /^postgres(ql)?:\/\//.test(s), { error: "DATABASE_URL must be a postgres:// URL such as postgres://user@127.0.0.1:5432/guopei" }),
    WEB_PORT: z.preprocess(
      (v) => (v === "" ? undefined : v),
      z.coerce.number({ error: "WEB_PORT must be a port number such as 3000" }).int().min(1, "WEB_PORT must be 1-65535").max(65535, "WEB_PORT must be 1-65535").optional(),
    ),
    /** Signs the web's cookies and CSRF tokens; set the same on every instance so a desk login holds on all of them (default: DATA_DIR/web/secret). */
    WEB_SECRET: z.preprocess(
      (v) => (v === "" ? undefined : v),
      z.string().regex(/^[A-Za-z0-9_-]{32,256}$/, "WEB_SECRET: 32-256 of A-Z a-z 0-9 _ -").optional(),
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .refine((c) => !(c.WEB_PORT && c.WEBHOOK_URL && c.WEB_PORT === c.PORT), {
    error: "WEB_PORT must differ from PORT (the webhook listens there)",
    path: ["WEB_PORT"],
  })
  .refine((c) => !c.WEBHOOK_URL || c.WEBHOOK_SECRET, {
    error: "WEBHOOK_URL needs WEBHOOK_SECRET, so that forged webhook calls are refused",
    path: ["WEBHOOK_SECRET"],
  });

export type Config = z.infer<typeof ConfigSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses the environment; throws one readable error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
