/**
 * A promise with its resolve/reject handed out, for writes acknowledged once a later batch is durable
 * (Promise.withResolvers needs Node 22; the machines run 20).
 */
export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that drops the promise must not crash the process with an unhandled rejection;
  // callers that await it still see the error.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
