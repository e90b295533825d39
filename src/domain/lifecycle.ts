/**
 * The declaration lifecycle, as data: the one place that says which changes exist, who may make
 * each, what the deadline allows and which guards apply. Services ask `decide()` before every change
 * and `allowedEvents()` to offer buttons; nothing else in the code compares statuses to decide.
 * (XState's "machine as data" idea, without the library: one table, read by a ten-line interpreter.)
 *
 *   draft ──submit──▶ submitted ──approve──▶ approved
 *                      │   ▲  ▲                 │
 *               return │   │  └──revise──┐      │ return
 *                      ▼   │             │      ▼
 *                   returned ──revise────┘   returned
 *   submitted | returned ──withdraw──▶ withdrawn (final)
 *
 * "revised" is an event, not a resting state: a revised declaration waits for review exactly like a
 * newly submitted one (its status is submitted again); its history records the revision and what changed.
 */

/** Where a declaration stands. "draft" lives in the drafts collection; the others are stored declarations. */
export const DECLARATION_STATUSES = ["submitted", "approved", "returned", "withdrawn"] as const;
export type DeclarationStatus = (typeof DECLARATION_STATUSES)[number];
export type LifecycleState = "draft" | DeclarationStatus;

/** How each status reads to people (chat, web, exports). */
export const STATUS_LABEL: Readonly<Record<DeclarationStatus, string>> = {
  submitted: "🟡 待审核",
  approved: "✅ 已通过",
  returned: "↩️ 已退回",
  withdrawn: "⚪ 已撤回",
};

export type LifecycleEvent = "submit" | "revise" | "approve" | "return" | "withdraw";

/** Who is acting, relative to the declaration: its owner, or staff (coordinators by grant, admins by ADMIN_IDS). */
export type Actor = "owner" | "coordinator" | "admin";

/**
 * "open": only while the governing deadline has not passed (or none is set).
 * "any": the deadline does not matter.
 */
export type DeadlineRule = "open" | "any";

export type Guard = "notOwnDeclaration" | "commentRequired";

export interface Transition {
  from: readonly LifecycleState[];
  to: DeclarationStatus;
  by: readonly Actor[];
  deadline: DeadlineRule;
  guards: readonly Guard[];
  /** The history entry this change writes. */
  history: "submitted" | "revised" | "approved" | "returned" | "withdrawn";
  /** Why the rule is as it is. */
  why: string;
}

export const LIFECYCLE: Readonly<Record<LifecycleEvent, Transition>> = {
  submit: {
    from: ["draft"],
    to: "submitted",
    by: ["owner"],
    deadline: "open",
    guards: [],
    history: "submitted",
    why: "A deadline that still accepts declarations is no deadline. A draft may still be saved and resumed after it (nothing typed is lost); an admin extends by adding a later deadline for the plan or sub-project.",
  },
  revise: {
    from: ["submitted", "returned"],
    to: "submitted",
    by: ["owner"],
    deadline: "open",
    guards: [],
    history: "revised",
    why: "The applicant may improve a declaration awaiting review, or one returned with a comment, until the deadline; after it the set under review is closed. A return after the deadline that needs a fix is answered by an extension (a later deadline for that sub-project), which reopens revision for everyone it concerns.",
  },
  approve: {
    from: ["submitted"],
    to: "approved",
    by: ["coordinator", "admin"],
    deadline: "any",
    guards: ["notOwnDeclaration"],
    history: "approved",
    why: "Review happens mostly after the deadline. Nobody approves their own declaration (separation of duties: staff who also declare need a second reviewer).",
  },
  return: {
    from: ["submitted", "approved"],
    to: "returned",
    by: ["coordinator", "admin"],
    deadline: "any",
    guards: ["notOwnDeclaration", "commentRequired"],
    history: "returned",
    why: "A return always says why (the applicant cannot act on a bare refusal). An approval found wrong later can still be reopened by returning it; the applicant is told either way.",
  },
  withdraw: {
    from: ["submitted", "returned"],
    to: "withdrawn",
    by: ["owner"],
    deadline: "any",
    guards: [],
    history: "withdrawn",
    why: "Withdrawing takes nothing from anyone, so it stays possible after the deadline (reviewing an unwanted declaration wastes the reviewers' time). Not after approval: approved places are part of the programme office's plan, and dropping one is agreed with the coordinator, who can return it first. Withdrawn is final; the record is kept.",
  },
};

export const LIFECYCLE_EVENTS = Object.keys(LIFECYCLE) as LifecycleEvent[];

/** What the interpreter needs to know; the service gathers it from the store and the config. */
export interface DecisionInput {
  state: LifecycleState;
  /** Every capacity the acting user has here (an admin may also be the owner). */
  actor: readonly Actor[];
  /** The governing deadline has passed (false when none is set). */
  deadlinePassed: boolean;
  /** The return comment, already validated for shape by the caller (empty: none given). */
  comment?: string;
}

export type Refusal = "notAllowedFromState" | "notPermitted" | "deadlinePassed" | "ownDeclaration" | "commentRequired";

export type Decision = { ok: true; to: DeclarationStatus; history: Transition["history"] } | { ok: false; refusal: Refusal };

/**
 * Whether the event may happen now. Checks run in a fixed order (role, state, deadline, guards) so
 * a stranger learns nothing about a declaration's state from the refusal.
 */
export function decide(event: LifecycleEvent, input: DecisionInput): Decision {
  const t = LIFECYCLE[event];
  if (!t.by.some((a) => input.actor.includes(a))) return { ok: false, refusal: "notPermitted" };
  if (!t.from.includes(input.state)) return { ok: false, refusal: "notAllowedFromState" };
  if (t.deadline === "open" && input.deadlinePassed) return { ok: false, refusal: "deadlinePassed" };
  for (const g of t.guards) {
    if (g === "notOwnDeclaration" && input.actor.includes("owner")) return { ok: false, refusal: "ownDeclaration" };
    if (g === "commentRequired" && !input.comment?.trim()) return { ok: false, refusal: "commentRequired" };
  }
  return { ok: true, to: t.to, history: t.history };
}

/** Events the actor could make now (for buttons); the comment guard is left to the moment the comment is given. */
export function allowedEvents(input: Omit<DecisionInput, "comment">): LifecycleEvent[] {
  return LIFECYCLE_EVENTS.filter((e) => decide(e, { ...input, comment: "·" }).ok);
}
