import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { syncedFileStream } from "../../src/export/synced-file.js";

const dir = mkdtempSync(join(tmpdir(), "synced-file-"));
afterEach(() => vi.restoreAllMocks());
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

async function fileHandlePrototype(): Promise<{ datasync: () => Promise<void> }> {
  const probe = await open(join(dir, "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
}

describe("the export child's file stream", () => {
  it("writes every byte, in order, and flushes once per syncEvery bytes and at the end", async () => {
    const datasync = vi.spyOn(await fileHandlePrototype(), "datasync");
    const path = join(dir, "rows.csv");
    const out = syncedFileStream(path, 100);
    const lines = Array.from({ length: 50 }, (_, i) => `第${i}行,申报,${i * 1000}\r\n`);
    for (const line of lines) out.write(line);
    out.end();
    await finished(out);
    const text = lines.join("");
    expect(readFileSync(path, "utf8")).toBe(text);
    const bytes = Buffer.byteLength(text);
    // one flush per full 100 bytes written (chunks are whole lines, so a flush comes at the first line past each 100), plus the last
    expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(Math.floor(bytes / 100 / 2));
    expect(datasync.mock.calls.length).toBeLessThanOrEqual(Math.floor(bytes / 100) + 1);
  });

  it("fails the stream when the file cannot be opened, instead of hanging", async () => {
    const out = syncedFileStream(join(dir, "no-such-folder", "x.csv"));
    out.write("a");
    await expect(finished(out)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
