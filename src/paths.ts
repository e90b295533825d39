/** The project root, found from this module's location, so paths hold from src/ (tsx) and from the dist/ bundle alike. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "knowledge"))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the project root (package.json and knowledge/) above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
