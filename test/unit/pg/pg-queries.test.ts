/**
 * The SQL of src/store/pg/sql.ts says what the reference functions of src/store/queries.ts say:
 * seeded random records go into PostgreSQL, and every filter, sort, page and grouping is compared
 * with the same question asked of the records in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPgStore, type PgStoreHandle } from "../../../src/store/pg/index.js";
import {
  aggregateDeclarations,
  declarationComparator,
  declarationMatcher,
  draftComparator,
  draftMatcher,
  inAudience,
  matchesDraftScope,
} from "../../../src/store/queries.js";
import type { DeclarationFilter, DeclarationRecord, DeclarationSort, DraftFilter, DraftRecord, DraftScope, UserRecord } from "../../../src/store/types.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

/** mulberry32: the same records every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20241101);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const STATUSES = ["submitted", "approved", "returned", "withdrawn"] as const;
const SUBS = ["gp-a", "gp-b", "qp-c", "qp-d"];
const INSTS = ["新疆师范大学", "喀什大学", "伊犁师范大学", "Xinjiang Normal"];
// instants around midnight in Shanghai, so grouping by day depends on the time zone; few distinct
// ones, so sorts meet ties (broken by ref)
const instant = () => new Date(Date.UTC(2024, 2, 1 + Math.floor(rand() * 5), 14 + Math.floor(rand() * 4), pick([0, 30]))).toISOString();

const declarations: DeclarationRecord[] = Array.from({ length: 300 }, (_, i) => {
  const plan = pick(["guopei", "qupei"] as const);
  const people = pick([10, 25, 40, "三十", undefined]);
  const at = instant();
  return {
    ref: `${plan === "guopei" ? "GP" : "QP"}2024-${String(i + 1).padStart(4, "0")}`,
    ownerId: 1 + Math.floor(rand() * 20),
    plan,
    subProjectId: pick(SUBS),
    rowId: "r",
    answers: { institution: pick([...INSTS, undefined, 7]), ...(people === undefined ? {} : { people }) },
    budget: { perYear: 1000, cycle: 1000 },
    status: pick(STATUSES),
    submittedAt: at,
    updatedAt: rand() < 0.5 ? at : instant(),
    history: [],
    ...(rand() < 0.3 ? { fromDraft: `d${i % 7}` } : {}),
  };
});
const drafts: DraftRecord[] = Array.from({ length: 120 }, (_, i) => ({
  id: `draft-${i}`,
  ownerId: 1 + Math.floor(rand() * 40),
  stepId: "s",
  answers: { subProject: pick([...SUBS, undefined, 3]), plan: pick(["guopei", "qupei", "other", undefined]) },
  createdAt: instant(),
  updatedAt: instant(),
  ...(rand() < 0.2 ? { revises: pick(declarations).ref } : {}),
}));
const users: UserRecord[] = Array.from({ length: 80 }, (_, i) => ({
  id: i + 1,
  chatId: i + 1,
  name: `u${i}`,
  roles: rand() < 0.1 ? ["coordinator"] : [],
  subscribed: rand() < 0.4,
  reachable: rand() < 0.85,
  createdAt: instant(),
  ...(rand() < 0.2 ? { unsubscribedAt: instant() } : {}),
}));

const FILTERS: DeclarationFilter[] = [
  {},
  { status: "approved" },
  { status: ["submitted", "returned"], plan: "guopei" },
  { status: [] },
  { ownerId: 3 },
  { subProjectId: ["gp-a", "qp-d"] },
  { institution: "喀什大学" },
  { text: "2024-00" },
  { text: "xinjiang" },
  { text: "师范" },
  { text: "%" },
  { submittedFrom: "2024-03-02T16:00:00.000Z", submittedTo: "2024-03-04T16:00:00.000Z" },
  { fromDraft: "d3" },
];
const SORTS: (DeclarationSort | undefined)[] = [undefined, { by: "submittedAt", dir: "desc" }, { by: "updatedAt", dir: "asc" }, { by: "ref", dir: "desc" }];
const SCOPES: DraftScope[] = [
  { subProjectIds: ["gp-a"], plans: ["guopei"], includeUnplaced: false },
  { subProjectIds: [], plans: ["qupei"], includeUnplaced: true },
  { subProjectIds: SUBS, plans: [], includeUnplaced: false },
];

describe("PostgreSQL queries agree with the contract's reference functions", () => {
  let db: TestDatabase;
  let store: PgStoreHandle;
  beforeAll(async () => {
    db = await freshDatabase();
    store = await openPgStore(db.url, { poolSize: 4 });
    await Promise.all([...declarations.map((d) => store.declarations.put(d)), ...drafts.map((d) => store.drafts.put(d)), ...users.map((u) => store.users.put(u))]);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it("filters, sorts and pages declarations, with totals", async () => {
    for (const f of FILTERS) {
      for (const sort of SORTS) {
        const want = declarations.filter(declarationMatcher(f)).sort(declarationComparator(sort));
        const page = await store.declarations.find(f, { limit: 7, offset: 3 }, sort);
        expect({ f, sort, refs: page.items.map((d) => d.ref), total: page.total }).toEqual({ f, sort, refs: want.slice(3, 10).map((d) => d.ref), total: want.length });
        const past = await store.declarations.find(f, { limit: 5, offset: want.length + 2 }, sort);
        expect(past).toEqual({ items: [], total: want.length });
      }
      expect(await store.declarations.count(f)).toBe(declarations.filter(declarationMatcher(f)).length);
    }
    const scanned: string[] = [];
    for await (const d of store.declarations.scan({ plan: "qupei" }, { by: "updatedAt", dir: "desc" })) scanned.push(d.ref);
    expect(scanned).toEqual(declarations.filter(declarationMatcher({ plan: "qupei" })).sort(declarationComparator({ by: "updatedAt", dir: "desc" })).map((d) => d.ref));
    expect(await store.declarations.get(declarations[5]!.ref)).toEqual(declarations[5]);
    expect(await store.declarations.byOwner(3)).toEqual(declarations.filter((d) => d.ownerId === 3).sort(declarationComparator()));
  });

  it("groups declarations by status, plan, sub-project and local day", async () => {
    const key = (r: object) => JSON.stringify(Object.entries(r).sort());
    for (const by of [[], ["status"], ["plan", "subProjectId"], ["day"], ["status", "day"]] as const) {
      for (const f of [{}, { status: ["approved", "submitted"] as const }] as DeclarationFilter[]) {
        const q = { by, timeZone: "Asia/Shanghai" };
        const want = aggregateDeclarations(declarations.filter(declarationMatcher(f)), q).map(key).sort();
        const got = (await store.declarations.aggregate(f, q)).map(key).sort();
        expect(got).toEqual(want);
      }
    }
    await expect(store.declarations.aggregate({}, { by: ["day"] })).rejects.toThrow(/timeZone/);
  });

  it("finds drafts by owner, scope, idleness and revision", async () => {
    const filters: DraftFilter[] = [{}, { ownerId: 5 }, { updatedBefore: "2024-03-03T00:00:00.000Z" }, { revises: drafts.find((d) => d.revises)!.revises! }, ...SCOPES.map((scope) => ({ scope }))];
    for (const f of filters) {
      const want = drafts.filter(draftMatcher(f)).sort(draftComparator);
      expect(await store.drafts.find(f, { limit: 1000 })).toEqual({ items: want, total: want.length });
      const counts = new Map<string, number>();
      for (const d of want) if (typeof d.answers.subProject === "string") counts.set(d.answers.subProject, (counts.get(d.answers.subProject) ?? 0) + 1);
      const got = await store.drafts.countBySubProject(f);
      expect(new Map(got.map((r) => [r.subProjectId, r.count]))).toEqual(counts);
    }
  });

  it("walks a reminder audience by id cursor", async () => {
    for (const draftScope of [undefined, ...SCOPES]) {
      const query = { adminIds: [7, 8, 9], ...(draftScope ? { draftScope } : {}) };
      const owns = (id: number) => drafts.some((d) => d.ownerId === id && (!draftScope || matchesDraftScope(d, draftScope)));
      const want = users.filter((u) => inAudience(u, query, owns)).map((u) => u.id);
      const got: number[] = [];
      for (let after: number | undefined; ; ) {
        const page = await store.users.audience(query, { limit: 9, ...(after === undefined ? {} : { after }) });
        got.push(...page.map((u) => u.id));
        if (page.length < 9) break;
        after = page.at(-1)!.id;
      }
      expect(got).toEqual(want);
    }
    expect(await store.users.count()).toEqual({ total: users.length, subscribed: users.filter((u) => u.reachable && u.subscribed).length });
    expect((await store.users.withRole("coordinator")).map((u) => u.id)).toEqual(users.filter((u) => u.roles.includes("coordinator")).map((u) => u.id));
  });
});
