/**
 * Group commit for single-row bookkeeping: calls that arrive while the previous statement is in
 * flight wait and go together in the next one, one statement (and one commit) for all of them.
 * The first call goes in the same turn of the event loop (with any made in that turn, such as a
 * getUpdates batch), so nothing waits when calls do not overlap; under load the number of statements
 * follows the round trips, not the calls.
 */
import { deferred, type Deferred } from "../deferred.js";

/** Most items per statement (bounds its parameters and how long it holds its rows). */
const MAX_BATCH = 500;

/**
 * `run(items)` is one statement for a batch and returns one result per item, in order. A failed
 * statement rejects every call in its batch.
 */
export function coalesced<T, R>(run: (items: T[]) => Promise<R[]>): (item: T) => Promise<R> {
  let queue: { item: T; done: Deferred; result?: R }[] = [];
  let running = false;
  const drain = async () => {
    while (queue.length) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        const results = await run(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          b.result = results[i];
          b.done.resolve();
        });
      } catch (e) {
        for (const b of batch) b.done.reject(e);
      }
    }
    running = false;
  };
  return async (item) => {
    const entry: { item: T; done: Deferred; result?: R } = { item, done: deferred() };
    queue.push(entry);
    if (!running) {
      running = true;
      queueMicrotask(() => void drain());
    }
    await entry.done.promise;
    return entry.result as R;
  };
}
