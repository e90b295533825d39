/**
 * vitest globalSetup of both projects: builds dist/ once per run (`npm run build`, esbuild, about a
 * second) so that the processes the tests start run the bundle under plain node, as `npm start`
 * does: it starts faster than through the tsx loader, which matters when a test starts and kills
 * many processes on a busy machine. test/support/bot-process.ts reads BOT_ENTRY; the export tests
 * start dist/export-child.js (EXPORT_CHILD_BUNDLE).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const EXPORT_CHILD_BUNDLE = fileURLToPath(new URL("../../dist/export-child.js", import.meta.url));

export default function setup(): void {
  if (process.env.BUNDLE_BUILT) return; // the other project's setup has built it in this run
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build", "--silent"], { cwd: REPO_ROOT, stdio: "inherit" });
  process.env.BUNDLE_BUILT = "1";
  // unless chosen by whoever runs the tests (e.g. src/main.ts to test through tsx)
  process.env.BOT_ENTRY ??= "dist/main.js";
}
