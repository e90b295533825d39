import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { shardOf } from "../../src/store/hash.js";
import { Shard, SHARD_FORMAT, type ShardSpec } from "../../src/store/shard-file.js";

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

interface Rec {
  id: string;
  owner: number;
  n?: number;
  text?: string;
}

/** One shard of one: every key belongs here. */
const spec: ShardSpec<Rec> = { key: (r) => r.id, head: (r) => [r.owner], heads: 1, index: 0, shards: 1 };
const PATH = "/data/things/000.json";

/** The same file with its body replaced and the checksum made right again (a well-formed file with bad content). */
function rewrite(file: Buffer, edit: (body: string) => string): Buffer {
  const text = file.toString("utf8");
  const nl = text.indexOf("\n");
  const body = edit(text.slice(nl + 1));
  const fields = text.slice(0, text.indexOf('"crc32":"'));
  const sum = crc32(fields, crc32(Buffer.from(body)));
  const header = text.slice(0, nl).replace(/"crc32":"[0-9a-f]{8}"/, `"crc32":"${sum.toString(16).padStart(8, "0")}"`);
  return Buffer.from(`${header}\n${body}`);
}

/** The same file with its header edited and the checksum made right again. */
function rewriteHeader(file: Buffer, edit: (header: string) => string): Buffer {
  const text = file.toString("utf8");
  const nl = text.indexOf("\n");
  const header = edit(text.slice(0, nl));
  const fields = header.slice(0, header.indexOf('"crc32":"'));
  const sum = crc32(fields, crc32(Buffer.from(text.slice(nl + 1))));
  return Buffer.from(`${header.replace(/"crc32":"[0-9a-f]{8}"/, `"crc32":"${sum.toString(16).padStart(8, "0")}"`)}\n${text.slice(nl + 1)}`);
}

function headsOf(shard: Shard<Rec>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  shard.forEachHead((k, head) => out.set(k, [...head]));
  return out;
}

function sample(): Shard<Rec> {
  const s = new Shard(spec, PATH);
  for (const [i, id] of ["a", "b", "新疆-1", 'q"uote\\d', "c"].entries()) {
    const r = { id, owner: 100 + i, text: "国培\n计划" };
    s.put(id, r, JSON.stringify(r));
  }
  s.tx = 42;
  return s;
}

describe("shard file (one record per line, parsed on first access)", () => {
  it("through random puts, deletes and re-inserts, every file is JSON holding exactly the records, and reads back the same", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      let shard = new Shard(spec, PATH);
      const model = new Map<string, Rec>();
      const keys = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? String(i * 7) : i % 3 === 1 ? `k-${i}` : `${5_000_000_000 + i}`));
      for (let step = 0; step < 400; step++) {
        const k = keys[Math.floor(r() * keys.length)]!;
        const op = r();
        if (op < 0.65) {
          const v: Rec = { id: k, owner: Math.floor(r() * 1000) - 500, n: step, text: "新疆国培".repeat(Math.floor(r() * 4)) + 'a"b\\c' };
          model.set(k, v);
          shard.put(k, structuredClone(v), r() < 0.5 ? JSON.stringify(v) : undefined);
        } else if (op < 0.85) {
          model.delete(k);
          shard.delete(k);
        }
        if (r() < 0.3) {
          shard.tx = step + 1;
          const file = shard.encode();
          const json = JSON.parse(file.toString("utf8")) as { format: string; tx: number; count: number; records: [string, number, Rec][] };
          expect(json).toMatchObject({ format: SHARD_FORMAT, tx: step + 1, count: model.size });
          expect(new Map(json.records.map(([key, owner, rec]) => [key, { owner, rec }]))).toEqual(new Map([...model].map(([key, rec]) => [key, { owner: rec.owner, rec }])));
          // Read back; half the time carry on from the read copy (as after a restart).
          const back = Shard.decode(spec, PATH, file);
          expect(headsOf(back)).toEqual(new Map([...model].map(([key, rec]) => [key, [rec.owner]])));
          for (const [key, rec] of model) expect(back.get(key)).toEqual(rec);
          expect(back.size).toBe(model.size);
          if (r() < 0.5) shard = back;
        }
      }
    }
  });

  it("a record is parsed only when asked for, and its line is copied unchanged into the next file", () => {
    const file = sample().encode();
    const back = Shard.decode(spec, PATH, file);
    const spy = JSON.parse;
    let parses = 0;
    JSON.parse = ((t: string) => (parses++, spy(t))) as typeof JSON.parse;
    try {
      expect(headsOf(back).size).toBe(5);
      expect(parses).toBe(0);
      expect(back.get("b")).toEqual({ id: "b", owner: 101, text: "国培\n计划" });
      expect(parses).toBe(1);
      expect(back.get("b")).toBe(back.get("b")); // kept parsed
      expect(parses).toBe(1);
      // a scan's peek parses without keeping the record parsed
      expect(back.peek("c")).toEqual(back.peek("c"));
      expect(parses).toBe(3);
      expect(back.encode().equals(file)).toBe(true);
    } finally {
      JSON.parse = spy;
    }
  });

  it("reads the old format ({\"records\":{…}}) and writes the new one", () => {
    const old = Buffer.from(JSON.stringify({ records: { a: { id: "a", owner: 7 } }, tx: 9 }));
    const s = Shard.decode(spec, PATH, old);
    expect(s.get("a")).toEqual({ id: "a", owner: 7 });
    expect(s.tx).toBe(9);
    expect(s.encode().toString()).toMatch(new RegExp(`^\\{"format":"${SHARD_FORMAT}","tx":9,"count":1,"heads":1,`));
  });

  it("a file written with another number of heads has its records parsed at open", () => {
    const file = sample().encode();
    const other = Shard.decode({ ...spec, head: (r) => [r.owner, r.owner * 2], heads: 2 }, PATH, file);
    expect(headsOf(other).get("c")).toEqual([104, 208]);
  });

  describe("damage stops start-up at open, naming the file, even in a record never accessed", () => {
    const file = sample().encode();
    const mid = file.indexOf("新疆-1") + 2;
    const cases: [string, () => Buffer, RegExp][] = [
      ["one byte changed inside a record", () => Buffer.concat([file.subarray(0, mid), Buffer.from("X"), file.subarray(mid + 1)]), /checksum/],
      ["cut off", () => file.subarray(0, file.length - 40), /checksum/],
      ["cut inside the header", () => file.subarray(0, 30), /header/],
      ["the header's mark changed", () => Buffer.from(file.toString().replace('"tx":42', '"tx":47')), /checksum/],
      ["the header's count is wrong", () => rewriteHeader(file, (h) => h.replace('"count":5', '"count":4')), /more records than its header says/],
      ["a record's key belongs in another shard", () => rewrite(file, (b) => b), /belongs in/],
      ["a key twice", () => rewrite(file, (b) => b.replace('["b",', '["a",')), /twice/],
      ["a head that is not a number", () => rewrite(file, (b) => b.replace('["b",101,', '["b","x",')), /head 1/],
      ["a line that is not a record", () => rewrite(file, (b) => b.replace('["b",101,', "{")), /line 3/],
      ["the end missing", () => rewrite(file, (b) => b.slice(0, -2)), /end/],
    ];
    for (const [name, make, error] of cases) {
      it(name, () => {
        const two = { ...spec, shards: name.includes("another shard") ? 2 : 1, index: name.includes("another shard") ? shardOf("a", 2) : 0 };
        const run = () => Shard.decode(two, PATH, make());
        expect(run).toThrow(error);
        expect(run).toThrow(PATH);
      });
    }
  });
});
