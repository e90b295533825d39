/**
 * A file stream for the export child that flushes its own data to disk every megabyte. The files are
 * temporary, so this is not for durability: it bounds how much of the export's data is dirty in the page
 * cache at once. Left to the kernel, tens of megabytes go out in one burst, and the bot's journal
 * `fdatasync`s (every acknowledged answer) wait behind it: 100–316 ms each, measured, during an export.
 */
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { Writable } from "node:stream";

export const SYNC_EVERY_BYTES = 1 << 20;

export function syncedFileStream(path: string, syncEvery = SYNC_EVERY_BYTES): Writable {
  let file: FileHandle | undefined;
  let unsynced = 0;
  const writeAll = async (chunk: Buffer): Promise<void> => {
    for (let at = 0; at < chunk.length; ) at += (await file!.write(chunk, at, chunk.length - at)).bytesWritten;
    unsynced += chunk.length;
    if (unsynced >= syncEvery) {
      unsynced = 0;
      await file!.datasync();
    }
  };
  const close = async (): Promise<void> => {
    const f = file;
    file = undefined;
    await f?.close();
  };
  return new Writable({
    construct(done) {
      open(path, "w").then((f) => {
        file = f;
        done();
      }, done);
    },
    write(chunk: Buffer, _encoding, done) {
      writeAll(chunk).then(() => done(), done);
    },
    final(done) {
      file!
        .datasync()
        .then(close)
        .then(() => done(), done);
    },
    destroy(err, done) {
      close().then(
        () => done(err),
        () => done(err),
      );
    },
  });
}
