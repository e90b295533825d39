/** The YAML parse cache of knowledge/: written after a load, and never trusted for a file whose text changed. */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KNOWLEDGE_PARSE_CACHE, loadKnowledge } from "../../src/knowledge/load.js";

type Entries = Record<string, { sha1: string; data: unknown }>;

describe("knowledge parse cache", () => {
  it("holds every file after a load; an entry whose hash does not match the file is parsed again", () => {
    const first = loadKnowledge();
    const entries = JSON.parse(readFileSync(KNOWLEDGE_PARSE_CACHE, "utf8")) as Entries;
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(["plans.yaml", "vocabulary.yaml"]));
    expect(Object.keys(entries).length).toBe(2 + first.subProjects.length);
    // A stale entry (as after an edit): wrong hash, wrong data. It must not be used.
    const stale: Entries = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { ...v, sha1: "0".repeat(40), data: { stale: true } }]));
    writeFileSync(KNOWLEDGE_PARSE_CACHE, JSON.stringify(stale));
    expect(loadKnowledge()).toEqual(first);
    const rewritten = JSON.parse(readFileSync(KNOWLEDGE_PARSE_CACHE, "utf8")) as Entries;
    expect(rewritten["plans.yaml"]!.sha1).toBe(entries["plans.yaml"]!.sha1);
  });
});
