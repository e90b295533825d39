/** The reviewer's card (declarationCard): the question's own terms, and figures below the guide's minimum flagged. */
import { beforeAll, describe, expect, it } from "vitest";
import { makeDeclarationFlow } from "../../flows/declaration.js";
import { belowGuideLines, declarationCard } from "../../src/answers/declaration-answer.js";
import type { Flow, FlowContext } from "../../src/engine/types.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { DeclarationRecord } from "../../src/store/types.js";

let flow: Flow;
let fctx: FlowContext;
beforeAll(() => {
  const knowledge = loadKnowledge();
  flow = makeDeclarationFlow(knowledge);
  fctx = { knowledge, now: new Date("2024-06-01T02:00:00Z"), timeZone: "Asia/Shanghai" };
});

const record = (answers: Record<string, unknown>): DeclarationRecord => ({
  ref: "QP2024-0001",
  ownerId: 7,
  plan: answers.plan as DeclarationRecord["plan"],
  subProjectId: String(answers.subProject),
  rowId: String(answers.row),
  answers,
  budget: { perYear: 0, cycle: 0 },
  status: "submitted",
  submittedAt: "2024-06-01T02:00:00.000Z",
  updatedAt: "2024-06-01T02:00:00.000Z",
  history: [{ at: "2024-06-01T02:00:00.000Z", by: 7, action: "submitted" }],
});

describe("belowGuideLines", () => {
  it.each<[string, string, Record<string, number>, string[]]>([
    ["county-backbone", "primary", { "dur:concentrated": 15, "dur:shadow": 7, "dur:online": 50 }, []],
    ["county-backbone", "primary", { "dur:concentrated": 15, "dur:shadow": 5, "dur:online": 50 }, ["影子学习计划5天，少于指南要求的不少于7天"]],
    ["county-backbone", "primary", { "dur:concentrated": 12, "dur:shadow": 7, "dur:online": 40 }, ["集中培训计划12天，少于指南要求的15天", "异步在线学习计划40学时，少于指南要求的50学时"]],
    ["leading-educators", "leaders", { "dur:concentrated": 20, "dur:visit": 6 }, ["名校访学计划6天，少于指南要求的不少于7天"]],
    // 自治区级学科名师, 统编教材 row: 集中研修7天.
    ["regional-master-teachers", "unified-textbooks", { "dur:concentrated": 6 }, ["集中研修计划6天，少于指南要求的7天"]],
  ])("%s/%s %j", (subProject, row, durations, flags) => {
    const lines = belowGuideLines({ subProject, row, ...durations }, fctx);
    expect(lines).toHaveLength(flags.length);
    flags.forEach((f, i) => expect(lines[i]).toContain(f));
  });
});

describe("declarationCard", () => {
  it("names 领航's part 名校访学 (not 名校观摩) and flags it below the guide", () => {
    const card = declarationCard(flow, record({ plan: "qupei", subProject: "leading-educators", row: "leaders", institution: "新疆师范大学", people: 50, "dur:concentrated": 20, "dur:visit": 5 }), fctx);
    expect(card).toContain("• 名校访学：5天");
    expect(card).not.toContain("名校观摩");
    expect(card).toContain("<b>与指南要求不符</b>\n⚠️ 名校访学计划5天，少于指南要求的不少于7天");
  });
});
