/**
 * Extractive summaries of a committed archive (no LLM) and the token estimate used by the context
 * endpoint. Deterministic: the same messages always give the same `.overview.md` / `.abstract.md`.
 */
import type { StoredMessage } from './schema.js';

/** ~4 characters per token: a rough, model-independent estimate. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The concatenated text parts of a message. */
export function messageText(message: StoredMessage): string {
  return message.parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text)
    .join('\n');
}

/** Estimated tokens of a message: its text plus the serialised non-text parts. */
export function messageTokens(message: StoredMessage): number {
  const other = message.parts.filter((p) => p.type !== 'text');
  return (
    estimateTokens(messageText(message)) + (other.length > 0 ? estimateTokens(JSON.stringify(other)) : 0)
  );
}

const MAX_SENTENCE = 200;
const MAX_OVERVIEW_LINES = 200;

/** The first sentence of `text`, whitespace collapsed, at most 200 characters. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const match = /^.+?[.!?](?=\s|$)/.exec(flat);
  const sentence = match?.[0] ?? flat;
  return sentence.length > MAX_SENTENCE ? `${sentence.slice(0, MAX_SENTENCE - 1)}…` : sentence;
}

function speaker(message: StoredMessage): string {
  return message.role_id === null ? message.role : `${message.role} (${message.role_id})`;
}

function gist(message: StoredMessage): string {
  const text = firstSentence(messageText(message));
  const tools = message.parts.filter((p) => p.type === 'tool').map((p) => p.tool_name);
  const suffix = tools.length > 0 ? ` [tools: ${tools.join(', ')}]` : '';
  return `${text.length > 0 ? text : '(no text)'}${suffix}`;
}

function participants(messages: readonly StoredMessage[]): string {
  const ids = (role: string): string[] => [
    ...new Set(messages.flatMap((m) => (m.role === role && m.role_id !== null ? [m.role_id] : []))),
  ];
  const users = ids('user');
  const agents = ids('assistant');
  const parts = [
    users.length > 0 ? `users ${users.join(', ')}` : '',
    agents.length > 0 ? `agents ${agents.join(', ')}` : '',
  ].filter((s) => s.length > 0);
  return parts.length > 0 ? parts.join(' and ') : 'no named participants';
}

/** `.overview.md` of an archive: one line per message with its speaker and first sentence. */
export function overviewOf(session_id: string, archive: string, messages: readonly StoredMessage[]): string {
  const first = messages[0]?.created_at ?? '';
  const last = messages[messages.length - 1]?.created_at ?? '';
  const lines = messages.slice(0, MAX_OVERVIEW_LINES).map((m) => `- **${speaker(m)}**: ${gist(m)}`);
  const more = messages.length - MAX_OVERVIEW_LINES;
  if (more > 0) lines.push(`- … and ${more} more messages`);
  return [
    `# Session ${session_id} — ${archive}`,
    '',
    `${messages.length} messages from ${first} to ${last} between ${participants(messages)}.`,
    '',
    '## Messages',
    '',
    ...lines,
    '',
  ].join('\n');
}

/** `.abstract.md` of an archive: one short paragraph. */
export function abstractOf(messages: readonly StoredMessage[]): string {
  const opening = messages.find((m) => messageText(m).trim().length > 0);
  const closing = [...messages].reverse().find((m) => messageText(m).trim().length > 0);
  const sentences = [`${messages.length} messages between ${participants(messages)}.`];
  if (opening !== undefined) sentences.push(`It opens with ${speaker(opening)}: "${gist(opening)}"`);
  if (closing !== undefined && closing !== opening) {
    sentences.push(`It ends with ${speaker(closing)}: "${gist(closing)}"`);
  }
  return `${sentences.join(' ')}\n`;
}
