/**
 * vitest globalSetup of the e2e project: builds dist/main.js once (`npm run build`, esbuild, about
 * a second) so that every bot process the tests start runs the bundle under plain node, as
 * `npm start` does: it starts faster than through the tsx loader, which matters when a test starts
 * and kills many processes on a busy machine. test/support/bot-process.ts reads BOT_ENTRY.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export default function setup(): void {
  if (process.env.BOT_ENTRY) return; // chosen by whoever runs the tests (e.g. src/main.ts to test through tsx)
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build", "--silent"], { cwd: REPO_ROOT, stdio: "inherit" });
  process.env.BOT_ENTRY = "dist/main.js";
}
