/**
 * FNV-1a (32 bit) over UTF-16 code units. Decides which shard file holds a key, so it must never
 * change for an existing data folder (a change would need a migration that re-shards).
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(key: string, shards: number): number {
  return fnv1a(key) % shards;
}
