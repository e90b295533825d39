/** Errors the store raises. Start-up problems stop the bot; write problems reach the user as "保存失败". */

export class StoreError extends Error {
  /** The file the problem is about, when there is one. */
  readonly file: string | undefined;
  /** The underlying errno code (ENOSPC, EACCES, …), when there is one. */
  readonly code: string | undefined;

  constructor(message: string, opts: { file?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "StoreError";
    this.file = opts.file;
    this.code = opts.code;
  }
}

/**
 * A write did not reach the disk (disk full, read-only file system, no permission, …).
 * The change is still held in memory and is written with the next successful write of the same file.
 */
export class StoreWriteError extends StoreError {
  /** What to tell the user. */
  readonly userMessage = "保存失败，请稍后再试。";
  /** True for conditions an operator must fix (disk full, read-only, permissions). */
  readonly diskProblem: boolean;

  constructor(file: string, cause: unknown) {
    const code = errnoCode(cause);
    super(
      `保存失败：${file}: ${code ?? describe(cause)} (write failed; the change is kept in memory and will be retried)`,
      { file, code, cause },
    );
    this.name = "StoreWriteError";
    this.diskProblem = code === "ENOSPC" || code === "EROFS" || code === "EACCES" || code === "EPERM" || code === "EDQUOT";
  }
}

export function corruptFileError(file: string, reason: string, cause?: unknown): StoreError {
  return new StoreError(
    `数据文件损坏，已停止启动：${file}: ${reason}。请从备份恢复或移走该文件。` +
      ` (Data file is corrupt, refusing to start: ${file}: ${reason}. Restore it from a backup or move it away.)`,
    { file, code: "ECORRUPT", cause },
  );
}

export function unreadableFileError(file: string, cause: unknown): StoreError {
  const reason = errnoCode(cause) ?? describe(cause);
  return new StoreError(
    `数据文件无法读取，已停止启动：${file}: ${reason}。请检查文件权限或从备份恢复。` +
      ` (Data file cannot be read, refusing to start: ${file}: ${reason}. Check its permissions or restore it from a backup.)`,
    { file, code: errnoCode(cause), cause },
  );
}

export function errnoCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return undefined;
}

export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
