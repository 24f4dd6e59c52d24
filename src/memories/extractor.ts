/**
 * Memory extraction from a session's messages (SPEC 15): the prompt shows the model every message
 * with its `message_id`, role and actor; the model answers `{"memories": [...]}`; ownership is then
 * decided by attribute.ts from the cited messages, and each planned memory is written by files.ts.
 * The result counts memories per category and per owner and lists what was dropped and why. A model
 * that fails (time-out, 5xx, text that is not the JSON asked for) throws before anything is written.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Vfs } from '../fs/index.js';
import type { ChatJson, ChatMessage } from '../models/chat.js';
import type { NamespacePolicy } from '../policy/index.js';
import {
  AGENT_CATEGORIES,
  attribute,
  USER_CATEGORIES,
  type DroppedMemory,
  type SourceMessage,
} from './attribute.js';
import { writeMemory } from './files.js';

/** Longest message text shown to the model, and most messages in one request (the newest kept). */
const MAX_MESSAGE_CHARS = 4000;
const MAX_MESSAGES = 400;
/** Most memories taken from one answer, and the longest content of one. */
const MAX_MEMORIES = 100;
const MAX_CONTENT_CHARS = 8000;

const answerSchema = z.object({
  memories: z
    .array(
      z.object({
        category: z.string().max(64),
        abstract: z.string().max(1000).default(''),
        content: z.string().max(MAX_CONTENT_CHARS),
        source_message_ids: z.array(z.string().max(200)).max(200),
      }),
    )
    .max(MAX_MEMORIES),
  /** A summary of the conversation: an archive's `.abstract.md` and `.overview.md` when given. */
  abstract: z.string().max(2000).optional(),
  overview: z.string().max(20_000).optional(),
});

const INSTRUCTIONS = `You extract long-term memories from a conversation.
Answer only JSON: {"memories": [{"category": "...", "abstract": "one line", "content": "the memory", "source_message_ids": ["msg_..."]}]}.
Categories about a human user: ${USER_CATEGORIES.join(', ')}. Categories about an assistant agent's experience: ${AGENT_CATEGORIES.join(', ')}.
Cite in source_message_ids the message_id of every message the memory is drawn from. Do not invent ids.
Write each memory about one person or agent only. Use "memories": [] when there is nothing worth keeping.
Also summarise the conversation: "abstract" (one sentence) and "overview" (a few lines of Markdown).`;

export interface ExtractionResult {
  readonly messages: number;
  readonly memories: number;
  readonly created: number;
  readonly merged: number;
  readonly unchanged: number;
  readonly per_category: Record<string, number>;
  /** Owner scope root → memories written there. */
  readonly per_owner: Record<string, number>;
  readonly uris: string[];
  readonly dropped: DroppedMemory[];
  /** Messages left out of the prompt (only the newest {@link MAX_MESSAGES} are shown). */
  readonly messages_skipped: number;
}

/** The model's summary of the conversation, when it gave one. */
export interface ModelSummary {
  readonly abstract: string;
  readonly overview: string;
}

export interface ExtractorDeps {
  readonly chat: ChatJson;
  readonly vfs: Vfs;
}

function promptOf(messages: readonly SourceMessage[]): ChatMessage[] {
  const shown = messages.map((m) => ({
    message_id: m.id,
    role: m.role,
    role_id: m.role_id,
    text: m.text.length > MAX_MESSAGE_CHARS ? `${m.text.slice(0, MAX_MESSAGE_CHARS)}…` : m.text,
  }));
  return [
    { role: 'system', content: INSTRUCTIONS },
    { role: 'user', content: JSON.stringify({ messages: shown }) },
  ];
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * Extracts and writes the memories of `messages` (a session's archive or live messages).
 * @example await extractMemories(deps, { account_id: 'acme', session_id: 's1', policy, messages })
 */
export async function extractMemories(
  deps: ExtractorDeps,
  input: {
    account_id: string;
    session_id: string;
    policy: NamespacePolicy;
    messages: readonly SourceMessage[];
  },
): Promise<{ result: ExtractionResult; summary: ModelSummary | null }> {
  const shown = input.messages.slice(-MAX_MESSAGES);
  const answer = answerSchema.safeParse(
    shown.length === 0 ? { memories: [] } : await deps.chat(promptOf(shown)),
  );
  if (!answer.success) {
    throw new AppError('UNAVAILABLE', 'the language model answered JSON without the memories asked for', {
      setting: 'LLM_MODEL',
    });
  }
  const { planned, dropped } = attribute(answer.data.memories, shown, input.account_id, input.policy);
  const per_category: Record<string, number> = {};
  const per_owner: Record<string, number> = {};
  const uris: string[] = [];
  const result = {
    messages: shown.length,
    memories: 0,
    created: 0,
    merged: 0,
    unchanged: 0,
    per_category,
    per_owner,
    uris,
    dropped,
    messages_skipped: input.messages.length - shown.length,
  };
  for (const memory of planned) {
    const { uri, outcome } = await writeMemory(deps.vfs, input.policy, input.session_id, memory);
    result.memories += 1;
    result[outcome] += 1;
    count(result.per_category, memory.category);
    count(result.per_owner, memory.root);
    if (!result.uris.includes(uri)) result.uris.push(uri);
  }
  const { abstract = '', overview = '' } = answer.data;
  const summary = abstract.trim() === '' || overview.trim() === '' ? null : { abstract, overview };
  return { result, summary };
}
