/**
 * Everything the web needs, built once by main.ts when WEB_PORT is set: the chat transport (its
 * transformer goes into the bot's and the reminders' API chains), the /web and /link feature,
 * and the server, started once the bot can handle updates.
 */
import type { Bot, Composer, Transformer } from "grammy";
import type { BotContext, Deps } from "../bot/context.js";
import { ChatHub } from "./chat-hub.js";
import { webFeature } from "./bot-feature.js";
import { createWebApp, startWebServer, type RunningWeb } from "./server.js";
import { loadSecret, Signer } from "./session.js";
import { mountDesk } from "./desk/routes.js";

export interface Web {
  route: Transformer;
  features: Composer<BotContext>[];
  hub: ChatHub;
  start(bot: Bot<BotContext>, port: number): Promise<RunningWeb>;
}

export function createWeb(deps: Deps): Web {
  const hub = new ChatHub(deps.config.DATA_DIR, deps.now);
  const signer = new Signer(loadSecret(deps.config.DATA_DIR, deps.config.WEB_SECRET));
  return {
    route: hub.transformer,
    features: [webFeature()],
    hub,
    async start(bot, port) {
      hub.attach(bot);
      const logger = deps.logger.child({ part: "web" });
      const app = createWebApp({ hub, signer, logger, mount: (a) => mountDesk(a, { deps, api: bot.api, signer, logger }) });
      const running = await startWebServer(app, port, logger);
      return {
        port: running.port,
        close: async () => {
          await running.close();
          hub.flush();
        },
      };
    },
  };
}
