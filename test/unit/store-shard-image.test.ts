import { describe, expect, it } from "vitest";
import { ShardImage } from "../../src/store/shard-image.js";

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("incremental shard serialisation", () => {
  it("always produces exactly JSON.stringify({ records }) through puts, deletes and re-inserts", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      const records = Object.create(null) as Record<string, unknown>;
      const image = new ShardImage<unknown>();
      // keys mixing integer-like (ordered numerically by JS) and string keys (insertion order)
      const keys = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? String(i * 7) : i % 3 === 1 ? `k-${i}` : `${5_000_000_000 + i}`));
      for (let step = 0; step < 400; step++) {
        const k = keys[Math.floor(r() * keys.length)]!;
        const op = r();
        if (op < 0.65) {
          const v = { id: k, n: Math.floor(r() * 1000), text: "新疆国培".repeat(Math.floor(r() * 4)), q: 'a"b\\c' };
          records[k] = v;
          image.changed(k, r() < 0.5 ? JSON.stringify(v) : undefined);
        } else if (op < 0.85) {
          if (k in records) {
            delete records[k];
            image.deleted(k);
          }
        }
        if (r() < 0.3) {
          const out = image.serialize(records).toString("utf8");
          expect(out).toBe(JSON.stringify({ records }));
        }
      }
      expect(image.serialize(records).toString("utf8")).toBe(JSON.stringify({ records }));
    }
  });

  it("serialises an empty shard", () => {
    expect(new ShardImage().serialize({}).toString()).toBe('{"records":{}}');
  });
});
