/**
 * Wire shapes of the session API (SPEC 8, 8.1) as zod schemas: the request bodies and queries (the
 * HTTP routes and MCP tools parse with them; the service takes their output types) and the stored
 * message and meta.
 */
import { z } from 'zod';

/** SPEC 1's id pattern, for ids that arrive inside a body. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

const textPart = z.object({ type: z.literal('text'), text: z.string() });

const contextPart = z.object({
  type: z.literal('context'),
  uri: z.string().min(1),
  context_type: z.enum(['resource', 'memory', 'skill', 'session']).default('resource'),
  abstract: z.string().default(''),
});

// tool_uri is optional on input because OpenViking clients usually omit it: the server always
// stores the canonical `viking://session/{S}/tools/{tool_id}` (see normaliseParts).
const toolPart = z.object({
  type: z.literal('tool'),
  tool_id: z.string().regex(ID_PATTERN, 'tool_id must be a valid id'),
  tool_name: z.string().min(1).max(256),
  tool_uri: z.string().optional(),
  skill_uri: z.string().default(''),
  tool_status: z.enum(['pending', 'running', 'completed', 'error']).default('pending'),
  tool_input: z.record(z.string(), z.unknown()).nullable().optional(),
  tool_output: z.string().optional(),
});

// OpenViking's part_from_dict reads a part without `type` as a text part; so do we.
export const partSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Object.hasOwn(v, 'type') ? { ...v, type: 'text' } : v),
  z.discriminatedUnion('type', [textPart, contextPart, toolPart]),
);
export type MessagePart = z.infer<typeof partSchema>;

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'created_at must be an ISO 8601 timestamp');

/**
 * A message body. `peer_id` (OpenViking 0.4: who the message is about or from, as a label) is stored
 * and returned, never used for access. OpenViking's `turn_id`, `message_kind`, `source_message_ids`
 * and `telemetry` are accepted and ignored (README).
 */
export const addMessageSchema = z
  .object({
    role: z.enum(MESSAGE_ROLES),
    role_id: z.string().nullable().optional(),
    peer_id: z.string().regex(ID_PATTERN, 'peer_id must be a valid id').nullable().optional(),
    content: z.string().optional(),
    parts: z.array(partSchema).min(1).optional(),
    created_at: isoDate.optional(),
  })
  .refine((b) => b.parts !== undefined || b.content !== undefined, {
    message: 'content or parts is required',
    path: ['content'],
  });
export type AddMessageBody = z.infer<typeof addMessageSchema>;

/** Most messages one batch may add (OpenViking's BatchAddMessageRequest). */
export const MAX_BATCH_MESSAGES = 100;

/** `wait` and `timeout` (seconds; null is the default) of a message body (SPEC 9.3). */
export const waitSchema = z.object({
  wait: z.boolean().nullish(),
  timeout: z.number().positive().max(3600).nullish(),
});
export type WaitBody = z.infer<typeof waitSchema>;

/** `POST /sessions/{id}/messages/batch`: each message parsed like a single one, and the wait options. */
export const batchSchema = z.object({
  messages: z.array(addMessageSchema).min(1).max(MAX_BATCH_MESSAGES),
  ...waitSchema.shape,
});
export type BatchBody = z.infer<typeof batchSchema>;

export const createSessionSchema = z
  .object({ session_id: z.string().nullable().optional() })
  .optional()
  .transform((b) => b ?? {});
export type CreateSessionBody = z.output<typeof createSessionSchema>;

/** `GET /sessions/{id}?auto_create=true` creates a missing session (OpenViking's get_session). */
export const getSessionQuerySchema = z.object({ auto_create: z.stringbool().default(false) });
export type GetSessionQuery = z.output<typeof getSessionQuerySchema>;

/** OpenViking's commit body: keep the newest `keep_recent_count` messages live. */
export const commitSchema = z
  .object({ keep_recent_count: z.number().int().min(0).max(10_000).default(0) })
  .optional()
  .transform((b) => b ?? { keep_recent_count: 0 });
export type CommitBody = z.output<typeof commitSchema>;

export const contextQuerySchema = z.object({
  token_budget: z.coerce.number().int().min(0).max(100_000_000).default(128_000),
});
export type ContextQuery = z.output<typeof contextQuerySchema>;

/** A message as stored, one per line of `messages.jsonl`. */
export const storedMessageSchema = z.object({
  id: z.string(),
  role: z.string(),
  role_id: z.string().nullable(),
  peer_id: z.string().optional(),
  parts: z.array(partSchema),
  created_at: z.string(),
  /** The effective user and agent of the request that wrote it (SPEC 15); absent on older messages. */
  actor_context: z.object({ user_id: z.string(), agent_id: z.string() }).optional(),
});
export type StoredMessage = z.infer<typeof storedMessageSchema>;

/** `.meta.json` of a session (SPEC 8). */
export const sessionMetaSchema = z.object({
  session_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  created_by_user_id: z.string(),
  participant_user_ids: z.array(z.string()),
  participant_agent_ids: z.array(z.string()),
  message_count: z.number().int().min(0),
  total_message_count: z.number().int().min(0).default(0),
  commit_count: z.number().int().min(0),
  /** Contexts and skills recorded by `POST /sessions/{id}/used`, over the session's life. */
  contexts_used: z.number().int().min(0).default(0),
  skills_used: z.number().int().min(0).default(0),
});
export type SessionMeta = z.infer<typeof sessionMetaSchema>;

/** The whole body of `POST /sessions/{id}/messages`: the message and its wait options. */
export const messageBodySchema = addMessageSchema.and(waitSchema);
export type MessageBody = z.output<typeof messageBodySchema>;
