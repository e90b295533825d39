/**
 * The store contract suite (src/store/types.ts): one file every implementation runs, as in
 * grammyjs/storages or keyv. test/contract/lowdb.test.ts runs it on the embedded store,
 * test/contract/pg.test.ts on PostgreSQL.
 *
 *   storeContract("lowdb", async () => { const store = await openStore(tmp()); return { store, reopen, close } });
 *
 * The factory gives an empty store each time; `reopen` (optional) closes it and opens the same data
 * again, to check that what was acknowledged survives.
 */
import { afterEach, describe, expect, it } from "vitest";
import type {
  AuditRecord,
  CodeRecord,
  BroadcastRecord,
  DeadlineRecord,
  DeclarationRecord,
  DeclarationStatus,
  DraftRecord,
  SessionRecord,
  Store,
  UserRecord,
} from "../../src/store/types.js";

export interface StoreUnderTest {
  store: Store;
  /** Closes the store and opens the same data again (omit if the implementation cannot). */
  reopen?: () => Promise<Store>;
  /** Closes and removes everything the factory made. */
  close(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

const T0 = Date.parse("2024-05-01T00:00:00.000Z");
/** An instant `minutes` after 2024-05-01 00:00 UTC (08:00 in Asia/Shanghai). */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

export const user = (id: number, extra: Partial<UserRecord> = {}): UserRecord => ({
  id,
  chatId: id,
  name: `用户${id}`,
  roles: [],
  subscribed: false,
  reachable: true,
  createdAt: at(0),
  ...extra,
});

export const draft = (id: string, ownerId: number, extra: Partial<DraftRecord> = {}): DraftRecord => ({
  id,
  ownerId,
  stepId: "lead",
  answers: {},
  createdAt: at(0),
  updatedAt: at(0),
  ...extra,
});

export const declaration = (ref: string, extra: Partial<DeclarationRecord> = {}): DeclarationRecord => ({
  ref,
  ownerId: 1,
  plan: "guopei",
  subProjectId: "county-backbone",
  rowId: "r1",
  answers: { institution: "新疆师范大学", people: 50 },
  budget: { perYear: 100_000, cycle: 300_000 },
  status: "submitted",
  submittedAt: at(0),
  updatedAt: at(0),
  history: [{ at: at(0), by: extra.ownerId ?? 1, action: "submitted" }],
  ...extra,
});

const deadline = (id: string, date: string): DeadlineRecord => ({ id, date, title: `截止${id}`, scope: { kind: "all" }, createdBy: 9, createdAt: at(0) });
const broadcastRec = (id: string, minutes: number, extra: Partial<BroadcastRecord> = {}): BroadcastRecord => ({ id, text: `通知${id}`, createdBy: 9, createdAt: at(minutes), ...extra });

const refsOf = (xs: { ref: string }[]) => xs.map((d) => d.ref);
/** The default order: submittedAt, then ref (code-unit order, as SQL's "C" collation). */
const bySubmission = (a: DeclarationRecord, b: DeclarationRecord) => (a.submittedAt < b.submittedAt ? -1 : a.submittedAt > b.submittedAt ? 1 : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const fresh = async (): Promise<StoreUnderTest> => {
      const s = await factory();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    /** Twelve declarations with every filterable field varied. */
    async function seedDeclarations(store: Store): Promise<DeclarationRecord[]> {
      const statuses: DeclarationStatus[] = ["submitted", "approved", "returned", "withdrawn"];
      const list = Array.from({ length: 12 }, (_, i) =>
        declaration(`${i % 3 === 0 ? "QP" : "GP"}2024-${String(i + 1).padStart(4, "0")}`, {
          ownerId: 100 + (i % 4),
          plan: i % 3 === 0 ? "qupei" : "guopei",
          subProjectId: ["county-backbone", "prefecture-backbone", "rural-teachers"][i % 3]!,
          status: statuses[i % 4]!,
          answers: { institution: i % 2 ? "新疆师范大学" : "Kashgar University", people: i % 5 === 0 ? "很多" : 10 + i },
          // Two share each submission minute (ties are broken by ref); the last ones fall on the next day in Shanghai.
          submittedAt: at(Math.floor(i / 2) * 60 + (i >= 10 ? 16 * 60 : 0)),
          updatedAt: at(1000 - i),
          ...(i === 4 ? { fromDraft: "draft-4" } : {}),
        }),
      );
      for (const d of list) await store.declarations.put(d);
      return list;
    }

    describe("users", () => {
      it("round trip, by chat, copies on put, count", async () => {
        const { store } = await fresh();
        const u = user(7, { chatId: 70, subscribed: true });
        await store.users.put(u);
        u.name = "changed after put";
        expect(await store.users.get(7)).toEqual(user(7, { chatId: 70, subscribed: true }));
        expect(await store.users.getByChat(70)).toMatchObject({ id: 7 });
        expect(await store.users.getByChat(7)).toBeUndefined();
        expect(await store.users.get(8)).toBeUndefined();
        await store.users.put(user(8, { subscribed: true, reachable: false }));
        await store.users.put(user(9));
        expect(await store.users.count()).toEqual({ total: 3, subscribed: 1 });
      });

      it("rejects a record without a usable key", async () => {
        const { store } = await fresh();
        await expect(store.users.put({ ...user(1), id: undefined as unknown as number })).rejects.toThrow();
        await expect(store.drafts.put(draft("", 1))).rejects.toThrow();
        expect((await store.users.count()).total).toBe(0);
      });

      it("withRole follows grants and revocations, by id", async () => {
        const { store } = await fresh();
        await store.users.put(user(3, { roles: ["coordinator"] }));
        await store.users.put(user(1, { roles: ["coordinator"] }));
        await store.users.put(user(2));
        expect((await store.users.withRole("coordinator")).map((u) => u.id)).toEqual([1, 3]);
        await store.users.put(user(3));
        expect((await store.users.withRole("coordinator")).map((u) => u.id)).toEqual([1]);
      });

      it("audience: the reminder rule, paged by id cursor", async () => {
        const { store } = await fresh();
        await store.users.put(user(1, { subscribed: true }));
        await store.users.put(user(2)); // nothing makes them a recipient
        await store.users.put(user(3, { subscribed: true, reachable: false }));
        await store.users.put(user(4, { roles: ["coordinator"] }));
        await store.users.put(user(5, { roles: ["coordinator"], unsubscribedAt: at(1) }));
        await store.users.put(user(6)); // owns a draft for county-backbone
        await store.users.put(user(7)); // owns a draft with nothing chosen
        await store.users.put(user(8)); // an admin
        await store.users.put(user(10, { subscribed: true, unsubscribedAt: at(1) })); // subscribed again later
        await store.drafts.put(draft("d6", 6, { answers: { plan: "guopei", subProject: "county-backbone" } }));
        await store.drafts.put(draft("d7", 7));
        const ids = async (draftScope?: Parameters<Store["users"]["audience"]>[0]["draftScope"]) =>
          (await store.users.audience({ adminIds: [8], ...(draftScope ? { draftScope } : {}) }, { limit: 100 })).map((u) => u.id);
        expect(await ids()).toEqual([1, 4, 6, 7, 8, 10]);
        expect(await ids({ subProjectIds: ["rural-teachers"], plans: ["qupei"], includeUnplaced: false })).toEqual([1, 4, 8, 10]);
        expect(await ids({ subProjectIds: ["rural-teachers"], plans: ["qupei"], includeUnplaced: true })).toEqual([1, 4, 7, 8, 10]);
        expect(await ids({ subProjectIds: ["county-backbone"], plans: ["guopei"], includeUnplaced: false })).toEqual([1, 4, 6, 8, 10]);
        // Pages: ascending id after the cursor, none repeated or skipped.
        const seen: number[] = [];
        for (let after: number | undefined; ; ) {
          const page = await store.users.audience({ adminIds: [8] }, { limit: 2, ...(after === undefined ? {} : { after }) });
          seen.push(...page.map((u) => u.id));
          if (page.length < 2) break;
          after = page[page.length - 1]!.id;
        }
        expect(seen).toEqual([1, 4, 6, 7, 8, 10]);
        await expect(store.users.audience({ adminIds: [] }, { limit: 0 })).rejects.toThrow();
        // Users who arrive during a walk: those past the cursor are met, those before it are not.
        const first = await store.users.audience({ adminIds: [] }, { limit: 2 });
        await store.users.put(user(0, { subscribed: true }));
        await store.users.put(user(9, { subscribed: true }));
        const rest = await store.users.audience({ adminIds: [] }, { after: first[1]!.id, limit: 100 });
        expect([...first, ...rest].map((u) => u.id)).toEqual([1, 4, 6, 7, 9, 10]);
      });
    });

    it("sessions: put, get, delete (a missing one too)", async () => {
      const { store } = await fresh();
      const s = (userId: number): SessionRecord => ({ userId, flow: "declaration", nonce: `n${userId}`, state: { at: "lead", answers: { a: [1, 2] } }, updatedAt: at(0) });
      await store.sessions.put(s(1));
      await store.sessions.put(s(2));
      await store.sessions.delete(2);
      await store.sessions.delete(404);
      expect(await store.sessions.get(1)).toEqual(s(1));
      expect(await store.sessions.get(2)).toBeUndefined();
    });

    describe("drafts", () => {
      it("byOwner oldest first; find by owner, scope, idle time and revision, paged; counts", async () => {
        const { store } = await fresh();
        await store.drafts.put(draft("b", 1, { createdAt: at(2), updatedAt: at(50), answers: { plan: "guopei", subProject: "county-backbone" } }));
        await store.drafts.put(draft("a", 1, { createdAt: at(1), updatedAt: at(10), answers: { plan: "qupei" } }));
        await store.drafts.put(draft("c", 2, { createdAt: at(3), updatedAt: at(30), revises: "GP2024-0001", answers: { plan: "guopei", subProject: "rural-teachers" } }));
        await store.drafts.put(draft("d", 3, { createdAt: at(4), updatedAt: at(40) }));
        expect((await store.drafts.byOwner(1)).map((d) => d.id)).toEqual(["a", "b"]);
        expect(await store.drafts.byOwner(99)).toEqual([]);

        const ids = async (filter: Parameters<Store["drafts"]["find"]>[0]) => (await store.drafts.find(filter, { limit: 10 })).items.map((d) => d.id);
        expect(await ids({})).toEqual(["a", "c", "d", "b"]); // oldest updatedAt first
        expect(await ids({ ownerId: 1 })).toEqual(["a", "b"]);
        expect(await ids({ updatedBefore: at(40) })).toEqual(["a", "c"]);
        expect(await ids({ revises: "GP2024-0001" })).toEqual(["c"]);
        expect(await ids({ scope: { subProjectIds: ["county-backbone"], plans: ["guopei"], includeUnplaced: false } })).toEqual(["b"]);
        expect(await ids({ scope: { subProjectIds: ["county-backbone"], plans: ["qupei"], includeUnplaced: true } })).toEqual(["a", "d", "b"]);
        expect(await ids({ scope: { subProjectIds: [], plans: [], includeUnplaced: false } })).toEqual([]);

        const page = await store.drafts.find({}, { limit: 2, offset: 1 });
        expect(page).toMatchObject({ total: 4 });
        expect(page.items.map((d) => d.id)).toEqual(["c", "d"]);
        expect(await store.drafts.count()).toBe(4);
        expect(await store.drafts.count({ ownerId: 1 })).toBe(2);
        const bySp = await store.drafts.countBySubProject();
        expect(bySp.sort((x, y) => x.subProjectId.localeCompare(y.subProjectId))).toEqual([
          { subProjectId: "county-backbone", count: 1 },
          { subProjectId: "rural-teachers", count: 1 },
        ]);
      });

      it("an owner change and a delete move the draft out of the old owner's list", async () => {
        const { store } = await fresh();
        await store.drafts.put(draft("x", 1));
        await store.drafts.put(draft("x", 2));
        expect(await store.drafts.byOwner(1)).toEqual([]);
        expect((await store.drafts.byOwner(2)).map((d) => d.id)).toEqual(["x"]);
        await store.drafts.delete("x");
        await store.drafts.delete("never-there");
        expect(await store.drafts.get("x")).toBeUndefined();
        expect(await store.drafts.count({ ownerId: 2 })).toBe(0);
      });
    });

    describe("declarations", () => {
      it("get, byOwner, and every filter of find", async () => {
        const { store } = await fresh();
        const all = await seedDeclarations(store);
        expect(await store.declarations.get("GP2024-0002")).toEqual(all[1]);
        expect(await store.declarations.get("GP2024-9999")).toBeUndefined();
        expect(refsOf(await store.declarations.byOwner(101))).toEqual(refsOf(all.filter((d) => d.ownerId === 101).sort(bySubmission)));

        const refs = async (filter: Parameters<Store["declarations"]["find"]>[0]) => refsOf((await store.declarations.find(filter, { limit: 100 })).items);
        const expected = (p: (d: DeclarationRecord) => boolean) => refsOf(all.filter(p).sort(bySubmission));
        expect(await refs({})).toEqual(refsOf([...all].sort(bySubmission)));
        expect(await refs({ ownerId: 102 })).toEqual(expected((d) => d.ownerId === 102));
        expect(await refs({ status: "approved" })).toEqual(expected((d) => d.status === "approved"));
        expect(await refs({ status: ["returned", "withdrawn"] })).toEqual(expected((d) => d.status === "returned" || d.status === "withdrawn"));
        expect(await refs({ status: [] })).toEqual([]);
        expect(await refs({ plan: "qupei" })).toEqual(expected((d) => d.plan === "qupei"));
        expect(await refs({ subProjectId: ["prefecture-backbone", "rural-teachers"] })).toEqual(expected((d) => d.subProjectId !== "county-backbone"));
        expect(await refs({ institution: "新疆师范大学" })).toEqual(expected((d) => d.answers.institution === "新疆师范大学"));
        expect(await refs({ institution: "新疆师范" })).toEqual([]); // exact
        expect(await refs({ text: "kashgar" })).toEqual(expected((d) => d.answers.institution === "Kashgar University"));
        expect(await refs({ text: "师范" })).toEqual(expected((d) => d.answers.institution === "新疆师范大学"));
        expect(await refs({ text: "qp2024" })).toEqual(expected((d) => d.ref.startsWith("QP")));
        expect(await refs({ text: "%" })).toEqual([]); // plain text, not a pattern
        expect(await refs({ submittedFrom: at(60), submittedTo: at(180) })).toEqual(expected((d) => d.submittedAt >= at(60) && d.submittedAt < at(180)));
        expect(await refs({ fromDraft: "draft-4" })).toEqual(["GP2024-0005"]);
        expect(await refs({ plan: "guopei", status: "submitted", subProjectId: "prefecture-backbone" })).toEqual(
          expected((d) => d.plan === "guopei" && d.status === "submitted" && d.subProjectId === "prefecture-backbone"),
        );
      });

      it("sorts by submission, update or ref, ties by ref; pages never overlap; totals count the filter", async () => {
        const { store } = await fresh();
        const all = await seedDeclarations(store);
        const bySub = [...all].sort(bySubmission);
        expect(refsOf((await store.declarations.find({}, { limit: 100 })).items)).toEqual(refsOf(bySub));
        const subDesc = [...all].sort((a, b) => (a.submittedAt > b.submittedAt ? -1 : a.submittedAt < b.submittedAt ? 1 : a.ref < b.ref ? -1 : 1));
        expect(refsOf((await store.declarations.find({}, { limit: 100 }, { by: "submittedAt", dir: "desc" })).items)).toEqual(refsOf(subDesc));
        const byUpdate = [...all].sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
        expect(refsOf((await store.declarations.find({}, { limit: 100 }, { by: "updatedAt", dir: "asc" })).items)).toEqual(refsOf(byUpdate));
        const byRefDesc = refsOf(all).sort().reverse();
        expect(refsOf((await store.declarations.find({}, { limit: 100 }, { by: "ref", dir: "desc" })).items)).toEqual(byRefDesc);

        const pages: string[] = [];
        for (let offset = 0; offset < 12; offset += 5) {
          const page = await store.declarations.find({}, { limit: 5, offset }, { by: "submittedAt", dir: "desc" });
          expect(page.total).toBe(12);
          pages.push(...refsOf(page.items));
        }
        expect(pages).toEqual(refsOf(subDesc));
        const beyond = await store.declarations.find({ plan: "qupei" }, { limit: 5, offset: 50 });
        expect(beyond).toEqual({ items: [], total: 4 });
        await expect(store.declarations.find({}, { limit: 1001 })).rejects.toThrow();
        await expect(store.declarations.find({}, { limit: 5, offset: -1 })).rejects.toThrow();

        expect(await store.declarations.count()).toBe(12);
        expect(await store.declarations.count({ status: "withdrawn" })).toBe(3);
        expect(await store.declarations.count({ ownerId: 100, plan: "qupei" })).toBe(all.filter((d) => d.ownerId === 100 && d.plan === "qupei").length);
      });

      it("aggregate: counts and planned trainees by status, plan, sub-project and local day", async () => {
        const { store } = await fresh();
        const all = await seedDeclarations(store);
        const people = (ds: DeclarationRecord[]) => ds.reduce((n, d) => n + (typeof d.answers.people === "number" ? d.answers.people : 0), 0);
        const whole = await store.declarations.aggregate({}, { by: [] });
        expect(whole).toEqual([{ count: 12, people: people(all) }]);

        const bySpStatus = await store.declarations.aggregate({ plan: "guopei" }, { by: ["subProjectId", "status"] });
        const guopei = all.filter((d) => d.plan === "guopei");
        const keys = new Set(guopei.map((d) => `${d.subProjectId}|${d.status}`));
        expect(bySpStatus).toHaveLength(keys.size);
        for (const row of bySpStatus) {
          const group = guopei.filter((d) => d.subProjectId === row.subProjectId && d.status === row.status);
          expect(row).toEqual({ subProjectId: row.subProjectId, status: row.status, count: group.length, people: people(group) });
        }

        const byDay = await store.declarations.aggregate({}, { by: ["day"], timeZone: "Asia/Shanghai" });
        // Ten submissions between 08:00 and 12:00 Shanghai time on 1 May; the last two at 05:00 on 2 May (still 1 May in UTC).
        expect(byDay.sort((a, b) => a.day!.localeCompare(b.day!))).toEqual([
          { day: "2024-05-01", count: 10, people: people(all.slice(0, 10)) },
          { day: "2024-05-02", count: 2, people: people(all.slice(10)) },
        ]);
        const utcDays = await store.declarations.aggregate({}, { by: ["day"], timeZone: "UTC" });
        expect(utcDays.map((r) => r.day).sort()).toEqual(["2024-05-01"]);
        expect(await store.declarations.aggregate({ status: [] }, { by: ["status"] })).toEqual([]);
      });

      it("scan: every match in order, across batches", async () => {
        const { store } = await fresh();
        const many = Array.from({ length: 1234 }, (_, i) => declaration(`GP2024-${String(i + 1).padStart(5, "0")}`, { submittedAt: at(1234 - i), status: i % 2 ? "approved" : "submitted" }));
        await Promise.all(many.map((d) => store.declarations.put(d)));
        const seen: string[] = [];
        for await (const d of store.declarations.scan({ status: "approved" }, { by: "ref", dir: "asc" })) seen.push(d.ref);
        expect(seen).toEqual(refsOf(many.filter((d) => d.status === "approved")));
        const bySub: string[] = [];
        for await (const d of store.declarations.scan({})) bySub.push(d.ref);
        expect(bySub).toEqual(refsOf(many).reverse());
        // Everything by ref (/export), both ways.
        for (const dir of ["asc", "desc"] as const) {
          const byRef: string[] = [];
          for await (const d of store.declarations.scan({}, { by: "ref", dir })) byRef.push(d.ref);
          expect(byRef).toEqual(dir === "asc" ? refsOf(many) : refsOf(many).reverse());
        }
      });

      it("a put replaces the record, and moves it between owners", async () => {
        const { store } = await fresh();
        await store.declarations.put(declaration("GP2024-0001", { ownerId: 1 }));
        await store.declarations.put(declaration("GP2024-0001", { ownerId: 2, status: "approved" }));
        expect(await store.declarations.byOwner(1)).toEqual([]);
        expect((await store.declarations.byOwner(2)).map((d) => d.status)).toEqual(["approved"]);
        expect(await store.declarations.count()).toBe(1);
      });

      it("lists, counts and groups asked again after each change see the change (in every order)", async () => {
        const { store } = await fresh();
        const all = await seedDeclarations(store);
        const sorts = [undefined, { by: "updatedAt", dir: "desc" }, { by: "ref", dir: "asc" }] as const;
        const filter = { plan: "guopei" as const };
        const expectFresh = async (list: DeclarationRecord[]) => {
          const guopei = list.filter((d) => d.plan === "guopei");
          for (const sort of sorts) {
            const cmp = sort === undefined ? bySubmission : sort.by === "ref" ? (a: DeclarationRecord, b: DeclarationRecord) => (a.ref < b.ref ? -1 : 1) : (a: DeclarationRecord, b: DeclarationRecord) => (a.updatedAt > b.updatedAt ? -1 : a.updatedAt < b.updatedAt ? 1 : a.ref < b.ref ? -1 : 1);
            expect(refsOf((await store.declarations.find({}, { limit: 100 }, sort)).items)).toEqual(refsOf([...list].sort(cmp)));
            expect(refsOf((await store.declarations.find(filter, { limit: 100 }, sort)).items)).toEqual(refsOf(guopei.sort(cmp)));
          }
          expect(await store.declarations.count(filter)).toBe(guopei.length);
          const rows = await store.declarations.aggregate(filter, { by: ["status"] });
          expect(Object.fromEntries(rows.map((r) => [r.status, r.count]))).toEqual(guopei.reduce<Record<string, number>>((m, d) => ({ ...m, [d.status]: (m[d.status] ?? 0) + 1 }), {}));
        };
        // Warm every order and the filter first, then change records in ways that move them.
        await expectFresh(all);
        const changed = all.map((d) => ({ ...d }));
        changed[1] = { ...changed[1]!, status: "approved", updatedAt: at(5000) };
        changed[2] = { ...changed[2]!, plan: "qupei", submittedAt: at(-10) };
        const added = declaration("GP2024-0500", { submittedAt: at(30), updatedAt: at(1) });
        changed.push(added);
        await store.declarations.put(changed[1]!);
        await expectFresh(changed.filter((d) => d.ref !== changed[2]!.ref && d.ref !== added.ref).concat(all[2]!));
        await store.declarations.put(changed[2]!);
        await store.declarations.put(added);
        await expectFresh(changed);
        // A group row the caller changes does not change the next answer.
        const rows = await store.declarations.aggregate(filter, { by: ["status"] });
        rows[0]!.count = 999;
        await expectFresh(changed);
      });
    });

    it("audit: append, then find by target, actor, action and time, oldest first, paged", async () => {
      const { store } = await fresh();
      const entries: AuditRecord[] = Array.from({ length: 30 }, (_, i) => ({
        at: at(i),
        actor: i % 3,
        action: i % 2 ? "declaration.approved" : "declaration.submitted",
        target: `GP2024-${String(i % 5).padStart(4, "0")}`,
        detail: { i },
      }));
      for (const e of entries) await store.audit.append(e);
      await store.audit.append({ at: at(29), actor: 7, action: "role.granted", target: "42" });
      const find = async (filter: Parameters<Store["audit"]["find"]>[0]) => (await store.audit.find(filter, { limit: 100 })).items;
      expect(await find({ target: "GP2024-0003" })).toEqual(entries.filter((e) => e.target === "GP2024-0003"));
      expect(await find({ actor: 1, action: "declaration.approved" })).toEqual(entries.filter((e) => e.actor === 1 && e.action === "declaration.approved"));
      expect(await find({ action: ["role.granted"] })).toEqual([{ at: at(29), actor: 7, action: "role.granted", target: "42" }]);
      expect(await find({ from: at(10), to: at(12) })).toEqual(entries.slice(10, 12));
      const page = await store.audit.find({}, { limit: 10, offset: 25 });
      expect(page.total).toBe(31);
      expect(page.items).toEqual([...entries.slice(25), { at: at(29), actor: 7, action: "role.granted", target: "42" }]);
      expect(await store.audit.count()).toBe(31);
      expect(await store.audit.count({ target: "GP2024-0001" })).toBe(6);
    });

    it("deadlines by date then id; broadcasts unfinished oldest first and listed newest first", async () => {
      const { store } = await fresh();
      await store.deadlines.put(deadline("b", "2024-06-30"));
      await store.deadlines.put(deadline("a", "2024-06-30"));
      await store.deadlines.put(deadline("c", "2024-06-01"));
      await store.deadlines.put(deadline("gone", "2024-06-02"));
      await store.deadlines.delete("gone");
      expect((await store.deadlines.list()).map((d) => d.id)).toEqual(["c", "a", "b"]);
      expect(await store.deadlines.get("a")).toEqual(deadline("a", "2024-06-30"));

      await store.broadcasts.put(broadcastRec("b3", 3));
      await store.broadcasts.put(broadcastRec("b1", 1, { finishedAt: at(2) }));
      await store.broadcasts.put(broadcastRec("b2", 2, { cancelledAt: at(2) }));
      await store.broadcasts.put(broadcastRec("b0", 0, { progress: { chatId: 9, messageId: 5 }, failed: 2 }));
      expect((await store.broadcasts.unfinished()).map((b) => b.id)).toEqual(["b0", "b3"]);
      const page = await store.broadcasts.list({ limit: 2 });
      expect(page.total).toBe(4);
      expect(page.items.map((b) => b.id)).toEqual(["b3", "b2"]);
      expect(await store.broadcasts.get("b0")).toEqual(broadcastRec("b0", 0, { progress: { chatId: 9, messageId: 5 }, failed: 2 }));
    });

    describe("ledger", () => {
      it("records once per chat and delivery; missing, has and counts", async () => {
        const { store } = await fresh();
        await Promise.all([store.ledger.record("deadline:d1:3", 1), store.ledger.record("deadline:d1:3", 2), store.ledger.record("deadline:d1:3", 2), store.ledger.record("broadcast:b1", 1)]);
        await store.ledger.flush();
        expect(await store.ledger.has("deadline:d1:3", 2)).toBe(true);
        expect(await store.ledger.has("deadline:d1:0", 2)).toBe(false);
        expect(await store.ledger.countReached("deadline:d1:3")).toBe(2);
        expect(await store.ledger.countReached("nothing")).toBe(0);
        expect(await store.ledger.missing("deadline:d1:3", [3, 2, 1, 4])).toEqual([3, 4]);
        expect(await store.ledger.missing("broadcast:b1", [])).toEqual([]);
      });

      it("claim: one owner per chat until its lease ends or it is released; recorded chats are never claimed", async () => {
        const { store } = await fresh();
        await store.ledger.record("broadcast:b", 1);
        expect(await store.ledger.claim("broadcast:b", [1, 2, 3], "A", 60_000)).toEqual([2, 3]);
        expect(await store.ledger.claim("broadcast:b", [1, 2, 3, 4], "B", 60_000)).toEqual([4]);
        await store.ledger.release("broadcast:b", 3, "A");
        expect(await store.ledger.claim("broadcast:b", [2, 3], "B", 60_000)).toEqual([3]);
        await store.ledger.record("broadcast:b", 2);
        expect(await store.ledger.claim("broadcast:b", [2], "B", 60_000)).toEqual([]);
        // An expired lease (a killed instance) is taken over.
        expect(await store.ledger.claim("broadcast:c", [5], "A", 1)).toEqual([5]);
        await new Promise((r) => setTimeout(r, 20));
        expect(await store.ledger.claim("broadcast:c", [5], "B", 60_000)).toEqual([5]);
      });
    });

    describe("inbox", () => {
      const rec = (updateId: number, chatId?: number) => ({ updateId, ...(chatId !== undefined ? { chatId } : {}), update: { update_id: updateId }, receivedAt: at(0) });
      it("stores an update once by update_id; a redelivery, even after it is done, is not stored again", async () => {
        const { store } = await fresh();
        expect(await store.inbox.add(rec(10, 1))).toBe(true);
        expect(await store.inbox.add(rec(10, 1))).toBe(false);
        expect(await store.inbox.countPending()).toBe(1);
        await store.inbox.done(10, at(1));
        await store.inbox.done(10, at(2)); // idempotent
        expect(await store.inbox.add(rec(10, 1))).toBe(false);
        expect(await store.inbox.countPending()).toBe(0);
      });

      it("claims oldest first, only the oldest pending update of each chat, and not what another owner holds", async () => {
        const { store } = await fresh();
        for (const [u, c] of [[1, 7], [2, 8], [3, 7], [4, undefined], [5, 9]] as const) await store.inbox.add(rec(u, c));
        const TEN_MIN = 600_000;
        const a = await store.inbox.claim("A", 10, TEN_MIN, at(0));
        expect(a.map((r) => r.updateId)).toEqual([1, 2, 4, 5]); // 3 waits for 1 (same chat)
        expect(a[0]!.update).toEqual({ update_id: 1 });
        expect(await store.inbox.claim("B", 10, TEN_MIN, at(0))).toEqual([]);
        await store.inbox.done(1, at(1));
        expect((await store.inbox.claim("B", 10, TEN_MIN, at(1))).map((r) => r.updateId)).toEqual([3]);
        // A lease that ran out (its instance was killed) is claimed again.
        const again = await store.inbox.claim("C", 10, TEN_MIN, at(20));
        expect(again.map((r) => r.updateId)).toEqual([2, 3, 4, 5]);
        expect(await store.inbox.countPending()).toBe(4);
      });

      it("prunes done updates older than the given instant", async () => {
        const { store } = await fresh();
        await store.inbox.add(rec(1, 1));
        await store.inbox.add(rec(2, 2));
        await store.inbox.done(1, at(1));
        await store.inbox.done(2, at(10));
        expect(await store.inbox.prune(at(5))).toBe(1);
        expect(await store.inbox.add(rec(1, 1))).toBe(true); // forgotten: a very late redelivery is new again
      });
    });

    describe("codes", () => {
      const code = (purpose: CodeRecord["purpose"], digest: string, userId: number, expiresMinutes = 5): CodeRecord => ({ purpose, digest, userId, expiresAt: at(expiresMinutes) });
      const digests = (xs: CodeRecord[]) => xs.map((c) => c.digest).sort();

      it("a code is spent once, only for its purpose, and not after it expires", async () => {
        const { store } = await fresh();
        expect(await store.codes.issue(code("desk", "d-a", 1), at(0))).toBe(true);
        expect(await store.codes.issue(code("link", "d-b", 1), at(0))).toBe(true);
        expect(await store.codes.issue(code("desk", "d-c", 2, 1), at(0))).toBe(true);
        expect(digests(await store.codes.live("desk", at(0)))).toEqual(["d-a", "d-c"]);
        expect(await store.codes.consume("link", "d-a", at(1))).toBeUndefined();
        expect(await store.codes.consume("desk", "d-a", at(1))).toEqual(code("desk", "d-a", 1));
        expect(await store.codes.consume("desk", "d-a", at(1))).toBeUndefined();
        // d-c expired at minute 1: no longer live, and it cannot be spent.
        expect(await store.codes.live("desk", at(1))).toEqual([]);
        expect(await store.codes.consume("desk", "d-c", at(1))).toBeUndefined();
        expect(await store.codes.consume("link", "d-b", at(4))).toMatchObject({ userId: 1 });
      });

      it("a new code replaces the user's earlier one of that purpose; a digest another live code has is refused", async () => {
        const { store } = await fresh();
        await store.codes.issue(code("desk", "old", 1), at(0));
        expect(await store.codes.issue(code("desk", "new", 1), at(1))).toBe(true);
        expect(await store.codes.consume("desk", "old", at(1))).toBeUndefined();
        expect(await store.codes.issue(code("desk", "new", 2), at(1))).toBe(false);
        expect(await store.codes.live("desk", at(1))).toEqual([code("desk", "new", 1)]);
        // Once that code has expired, its digest may be drawn again.
        expect(await store.codes.issue(code("desk", "new", 2, 20), at(10))).toBe(true);
        expect(await store.codes.consume("desk", "new", at(11))).toMatchObject({ userId: 2 });
      });

      it("a code may carry data (a pending broadcast's text), given back when it is consumed", async () => {
        const { store } = await fresh();
        const pending = { ...code("broadcast", "b-1", 9), data: { text: "明天截止，请尽快提交", n: 2 } };
        expect(await store.codes.issue(pending, at(0))).toBe(true);
        pending.data.text = "changed after issue";
        expect(await store.codes.consume("broadcast", "b-1", at(1))).toEqual({ ...code("broadcast", "b-1", 9), data: { text: "明天截止，请尽快提交", n: 2 } });
        expect(await store.codes.consume("broadcast", "b-1", at(1))).toBeUndefined();
      });

      it("ten instances consuming one code at once: exactly one gets it", async () => {
        const { store } = await fresh();
        await store.codes.issue(code("link", "race", 7), at(0));
        const got = await Promise.all(Array.from({ length: 10 }, () => store.codes.consume("link", "race", at(1))));
        expect(got.filter((g) => g !== undefined)).toEqual([code("link", "race", 7)]);
      });

      it("attempts: at most `limit` per window and key, counted at once from many callers; a new window starts afresh", async () => {
        const { store } = await fresh();
        const window = 10 * 60_000;
        const results = await Promise.all(Array.from({ length: 8 }, () => store.codes.attempt("desk:1.2.3.4", 5, window, at(0))));
        expect(results.filter(Boolean)).toHaveLength(5);
        expect(await store.codes.attempt("desk:5.6.7.8", 5, window, at(1))).toBe(true);
        expect(await store.codes.attempt("desk:1.2.3.4", 5, window, at(9))).toBe(false);
        expect(await store.codes.attempt("desk:1.2.3.4", 5, window, at(10))).toBe(true);
      });

      it("live codes and attempt windows survive reopening", async () => {
        const h = await fresh();
        if (!h.reopen) return;
        await h.store.codes.issue(code("desk", "kept", 3), at(0));
        for (let i = 0; i < 3; i++) await h.store.codes.attempt("k", 3, 60_000, at(0));
        h.store = await h.reopen();
        expect(await h.store.codes.attempt("k", 3, 60_000, at(0))).toBe(false);
        expect(await h.store.codes.consume("desk", "kept", at(1))).toMatchObject({ userId: 3 });
      });
    });

    describe("unit of work", () => {
      /** A submission as the declaration workflow makes it. */
      const submit = (store: Store, draftId: string, ownerId: number, fail?: "after-put" | "after-delete") =>
        store.transaction(async (tx) => {
          if (!(await tx.drafts.get(draftId))) return undefined;
          const ref = await tx.declarations.nextRef("guopei", 2024);
          await tx.declarations.put(declaration(ref, { ownerId, fromDraft: draftId }));
          if (fail === "after-put") throw new Error("boom after put");
          await tx.drafts.delete(draftId);
          if (fail === "after-delete") throw new Error("boom after delete");
          await tx.audit.append({ at: at(5), actor: ownerId, action: "declaration.submitted", target: ref });
          return ref;
        });

      it("commits every write together and returns the function's value; reads inside see the writes", async () => {
        const { store } = await fresh();
        await store.drafts.put(draft("dr1", 5));
        const ref = await submit(store, "dr1", 5);
        expect(ref).toBe("GP2024-0001");
        expect(await store.declarations.get(ref!)).toMatchObject({ ref, ownerId: 5, fromDraft: "dr1" });
        expect(await store.drafts.get("dr1")).toBeUndefined();
        expect(await store.audit.find({ target: ref! }, { limit: 10 })).toMatchObject({ total: 1 });
        const seen = await store.transaction(async (tx) => {
          await tx.users.put(user(5, { name: "新名字" }));
          await tx.sessions.put({ userId: 5, flow: "f", nonce: "n", state: {}, updatedAt: at(0) });
          await tx.deadlines.put(deadline("d", "2024-07-01"));
          await tx.broadcasts.put(broadcastRec("b", 1));
          const inside = [(await tx.users.get(5))?.name, (await tx.deadlines.get("d"))?.date, (await tx.broadcasts.get("b"))?.id, (await tx.sessions.get(5))?.flow];
          await tx.sessions.delete(5);
          await tx.deadlines.delete("d");
          return [...inside, await tx.sessions.get(5), await tx.deadlines.get("d")];
        });
        expect(seen).toEqual(["新名字", "2024-07-01", "b", "f", undefined, undefined]);
        expect((await store.users.get(5))?.name).toBe("新名字");
        expect(await store.broadcasts.get("b")).toEqual(broadcastRec("b", 1));
        expect(await store.sessions.get(5)).toBeUndefined();
        expect(await store.deadlines.get("d")).toBeUndefined();
      });

      it("a failure in the middle rolls everything back, and the error reaches the caller", async () => {
        const h = await fresh();
        const { store } = h;
        await store.drafts.put(draft("dr1", 5));
        await expect(submit(store, "dr1", 5, "after-put")).rejects.toThrow("boom after put");
        await expect(submit(store, "dr1", 5, "after-delete")).rejects.toThrow("boom after delete");
        const check = async (s: Store) => {
          expect(await s.declarations.count()).toBe(0);
          expect(await s.drafts.get("dr1")).toMatchObject({ id: "dr1" });
          expect(await s.audit.count()).toBe(0);
        };
        await check(store);
        if (h.reopen) {
          h.store = await h.reopen();
          await check(h.store);
        }
        // The store goes on working; a rolled-back number may leave a gap but is never reused.
        const ref = await submit(h.store, "dr1", 5);
        expect(ref).toMatch(/^GP2024-\d{4}$/);
        expect(await h.store.declarations.count()).toBe(1);
      });

      it("a record that cannot be stored fails the transaction, not later writes", async () => {
        const { store } = await fresh();
        await expect(
          store.transaction(async (tx) => {
            await tx.users.put(user(1));
            await tx.users.put({ ...user(2), name: 1n as unknown as string });
          }),
        ).rejects.toThrow();
        expect(await store.users.get(1)).toBeUndefined();
        await store.users.put(user(3));
        expect(await store.users.get(3)).toEqual(user(3));
      });

      it("concurrent transactions: unique reference numbers, no lost update, one submission per draft", async () => {
        const { store } = await fresh();
        const refs = await Promise.all(Array.from({ length: 40 }, (_, i) => store.transaction((tx) => tx.declarations.nextRef(i % 2 ? "qupei" : "guopei", 2024))));
        expect(new Set(refs).size).toBe(40);
        expect(refs.filter((r) => r.startsWith("GP")).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `GP2024-${String(i + 1).padStart(4, "0")}`));
        expect(await store.transaction((tx) => tx.declarations.nextRef("guopei", 2025))).toBe("GP2025-0001");

        // Read-modify-write of one record from 20 transactions at once: every change survives.
        await store.declarations.put(declaration("GP2024-0100"));
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction(async (tx) => {
              const d = (await tx.declarations.get("GP2024-0100"))!;
              await tx.declarations.put({ ...d, history: [...d.history, { at: at(i + 1), by: i, action: "approved" }] });
            }),
          ),
        );
        expect((await store.declarations.get("GP2024-0100"))!.history).toHaveLength(21);

        // Ten taps on one draft's 确认提交 at once: one declaration.
        await store.drafts.put(draft("dr9", 9));
        const outcomes = await Promise.all(Array.from({ length: 10 }, () => submit(store, "dr9", 9)));
        expect(outcomes.filter((r) => r !== undefined)).toHaveLength(1);
        expect(await store.declarations.count({ fromDraft: "dr9" })).toBe(1);
      });

      it("what a transaction committed survives reopening", async () => {
        const h = await fresh();
        if (!h.reopen) return;
        await h.store.drafts.put(draft("dr1", 5));
        const ref = await submit(h.store, "dr1", 5);
        h.store = await h.reopen();
        expect(await h.store.declarations.get(ref!)).toMatchObject({ fromDraft: "dr1" });
        expect(await h.store.drafts.get("dr1")).toBeUndefined();
        expect(await h.store.audit.count({ target: ref! })).toBe(1);
        expect(await h.store.transaction((tx) => tx.declarations.nextRef("guopei", 2024))).toBe("GP2024-0002");
      });
    });
  });
}
