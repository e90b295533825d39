/**
 * A child process for the unit-of-work crash test: opens the store in DATA_DIR (fsync on) and
 * submits drafts in transactions as fast as it can, several at once, printing "ack <ref> <draftId>"
 * once each transaction has resolved. The test kills it with SIGKILL at a random moment.
 */
import { openStore } from "../../src/store/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: tx-writer.ts <data dir> <owner id>");
const owner = Number(process.argv[3] ?? 1);
// STORE_CHECKPOINT_BYTES: fold the journal this often (small: kills land in the middle of checkpoints).
const checkpointBytes = process.env.STORE_CHECKPOINT_BYTES ? Number(process.env.STORE_CHECKPOINT_BYTES) : undefined;
const store = await openStore(dir, { checkpointBytes });
process.stdout.write("ready\n");
let n = 0;
const worker = async () => {
  for (;;) {
    const draftId = `dr-${owner}-${process.pid}-${n++}`;
    const now = new Date().toISOString();
    await store.drafts.put({ id: draftId, ownerId: owner, stepId: "summary", answers: { plan: "guopei", subProject: "county-backbone", n }, createdAt: now, updatedAt: now });
    const ref = await store.transaction(async (tx) => {
      const ref = await tx.declarations.nextRef("guopei", 2024);
      await tx.declarations.put({
        ref,
        ownerId: owner,
        plan: "guopei",
        subProjectId: "county-backbone",
        rowId: "r1",
        answers: { plan: "guopei", subProject: "county-backbone" },
        budget: { perYear: 1, cycle: 1 },
        status: "submitted",
        submittedAt: now,
        updatedAt: now,
        history: [{ at: now, by: owner, action: "submitted" }],
        fromDraft: draftId,
      });
      await tx.drafts.delete(draftId);
      await tx.audit.append({ at: now, actor: owner, action: "declaration.submitted", target: ref, detail: { draftId } });
      return ref;
    });
    process.stdout.write(`ack ${ref} ${draftId}\n`);
  }
};
await Promise.all(Array.from({ length: 4 }, worker));
