/**
 * Who owns an extracted memory (SPEC 15), decided by the server from the messages the memory cites —
 * never by the model and never by who called commit. Pure: the model's memories and the session's
 * messages in, the planned files and what was dropped (and why) out.
 *
 * - A user category belongs to the `role_id` of each cited `user` message; an agent category to the
 *   `role_id` of each cited `assistant` message.
 * - Where the policy splits that scope, the other half of the owner is the message's writing context
 *   (`actor_context`), or the account's `default` for messages stored before it was recorded.
 * - A memory citing several owners becomes one copy per owner, each citing only that owner's messages.
 */
import {
  agentRootSegments,
  isValidId,
  URI_PREFIX,
  userRootSegments,
  type Identity,
  type NamespacePolicy,
} from '../policy/index.js';

export const USER_CATEGORIES = ['profile', 'preferences', 'entities', 'events'] as const;
export const AGENT_CATEGORIES = ['cases', 'patterns', 'tools', 'skills'] as const;
export type MemoryCategory = (typeof USER_CATEGORIES)[number] | (typeof AGENT_CATEGORIES)[number];

/** The id the split half takes when a message predates `actor_context`. */
const DEFAULT_ID = 'default';

/** A session message as extraction sees it. */
export interface SourceMessage {
  readonly id: string;
  readonly role: string;
  readonly role_id: string | null;
  readonly actor_context?: { readonly user_id: string; readonly agent_id: string } | undefined;
  readonly text: string;
}

/** A memory as the model proposed it (already shape-checked). */
export interface ProposedMemory {
  readonly category: string;
  readonly abstract: string;
  readonly content: string;
  readonly source_message_ids: readonly string[];
}

/** One memory file to write: its owner's scope root and the messages of that owner it cites. */
export interface PlannedMemory {
  readonly category: MemoryCategory;
  readonly owner: Identity;
  /** `viking://user/U[/agent/A]` or `viking://agent/G[/user/U]`. */
  readonly root: string;
  readonly abstract: string;
  readonly content: string;
  readonly source_message_ids: readonly string[];
}

export type DropReason = 'unknown_category' | 'empty_content' | 'unknown_message_ids' | 'no_fitting_message';

export interface DroppedMemory {
  /** Position in the model's answer. */
  readonly index: number;
  readonly category: string;
  readonly reason: DropReason;
}

/** The side a category's memories belong to, with the category as one (null: not a known category). */
function sideOf(category: string): { side: 'user' | 'agent'; category: MemoryCategory } | null {
  const known = <C extends string>(list: readonly C[]): C | undefined => list.find((c) => c === category);
  const user = known(USER_CATEGORIES);
  if (user !== undefined) return { side: 'user', category: user };
  const agent = known(AGENT_CATEGORIES);
  return agent === undefined ? null : { side: 'agent', category: agent };
}

/** The owner a fitting message gives a memory of this side, or null if the message has no actor. */
function ownerOf(side: 'user' | 'agent', message: SourceMessage, account_id: string): Identity | null {
  const actor = message.role_id;
  if (actor === null || !isValidId(actor)) return null;
  const context = message.actor_context;
  const user = side === 'user' ? actor : (context?.user_id ?? DEFAULT_ID);
  const agent = side === 'agent' ? actor : (context?.agent_id ?? DEFAULT_ID);
  if (!isValidId(user) || !isValidId(agent)) return null;
  return { account_id, user_id: user, agent_id: agent };
}

function rootOf(side: 'user' | 'agent', owner: Identity, policy: NamespacePolicy): string {
  const segments = side === 'user' ? userRootSegments(owner, policy) : agentRootSegments(owner, policy);
  return URI_PREFIX + segments.join('/');
}

/** The copies of one memory, one per owner of its fitting cited messages, or why it is dropped. */
function planOne(
  memory: ProposedMemory,
  byId: ReadonlyMap<string, SourceMessage>,
  account_id: string,
  policy: NamespacePolicy,
): PlannedMemory[] | DropReason {
  const sided = sideOf(memory.category);
  if (sided === null) return 'unknown_category';
  const { side, category } = sided;
  if (memory.content.trim() === '') return 'empty_content';
  const cited = memory.source_message_ids.map((id) => byId.get(id));
  if (cited.length === 0 || cited.some((m) => m === undefined)) return 'unknown_message_ids';
  const fittingRole = side === 'user' ? 'user' : 'assistant';
  const groups = new Map<string, { owner: Identity; ids: string[] }>();
  for (const message of cited) {
    if (message === undefined || message.role !== fittingRole) continue;
    const owner = ownerOf(side, message, account_id);
    if (owner === null) continue;
    const root = rootOf(side, owner, policy);
    const group = groups.get(root) ?? { owner, ids: [] };
    if (!group.ids.includes(message.id)) group.ids.push(message.id);
    groups.set(root, group);
  }
  if (groups.size === 0) return 'no_fitting_message';
  return [...groups].map(([root, { owner, ids }]) => ({
    category,
    owner,
    root,
    abstract: memory.abstract.trim(),
    content: memory.content.trim(),
    source_message_ids: ids,
  }));
}

/**
 * Plans the files of the model's memories.
 * @example attribute(memories, messages, 'acme', policy) // { planned: [...], dropped: [{ index: 2, reason: 'no_fitting_message', ... }] }
 */
export function attribute(
  memories: readonly ProposedMemory[],
  messages: readonly SourceMessage[],
  account_id: string,
  policy: NamespacePolicy,
): { planned: PlannedMemory[]; dropped: DroppedMemory[] } {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const planned: PlannedMemory[] = [];
  const dropped: DroppedMemory[] = [];
  for (const [index, memory] of memories.entries()) {
    const plan = planOne(memory, byId, account_id, policy);
    if (typeof plan === 'string') dropped.push({ index, category: memory.category, reason: plan });
    else planned.push(...plan);
  }
  return { planned, dropped };
}
