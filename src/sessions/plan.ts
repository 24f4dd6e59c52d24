/**
 * The arithmetic of session changes that every session storage (storage.ts) shares, so the local files
 * and PostgreSQL answer alike: the meta after an append, a usage record or a commit, and what a
 * commit archives (which messages, under which number, with which summaries). Pure.
 */
import { ABSTRACT_FILE, MESSAGES_FILE, OVERVIEW_FILE, archiveName } from './files.js';
import { addParticipants } from './meta.js';
import type { SessionMeta, StoredMessage } from './schema.js';
import { abstractOf, overviewOf } from './summary.js';
import { USED_FILE, parseUsages, usageSection, type Usage } from './usage.js';

/** JSON Lines text of `items`: one line each, each ending in a newline ('' for none). */
export function toJsonl(items: readonly unknown[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join('');
}

/** The meta once `messages` were appended and the session holds `after` live messages. */
export function metaAfterAppend(
  meta: SessionMeta,
  after: number,
  messages: readonly StoredMessage[],
  now: string,
): SessionMeta {
  const total = meta.total_message_count + (after - meta.message_count);
  return addParticipants(
    { ...meta, message_count: after, total_message_count: total, updated_at: now },
    messages,
  );
}

/** The meta once `usages` were recorded. */
export function metaAfterUsages(meta: SessionMeta, usages: readonly Usage[]): SessionMeta {
  const count = (type: Usage['type']) => usages.filter((u) => u.type === type).length;
  return {
    ...meta,
    contexts_used: meta.contexts_used + count('context'),
    skills_used: meta.skills_used + count('skill'),
  };
}

/** What a commit does to the live messages. */
export interface CommitPlan {
  /** Moved into archive `n` now; empty when every one of them is archived already (a crash). */
  readonly fresh: readonly StoredMessage[];
  /** The newest `keep`, which stay live. */
  readonly retained: readonly StoredMessage[];
  /** The new archive's number (the newest one's when nothing is fresh). */
  readonly n: number;
}

/**
 * The commit of `live` keeping the newest `keep`, after archive `latest` (0: none) that holds the
 * ids `archived`; null when there are no more than `keep` live messages. Messages already in the
 * newest archive are not archived again: a crash after the archive was stored but before the live
 * log was rewritten must not archive them twice.
 */
export function planCommit(
  live: readonly StoredMessage[],
  keep: number,
  latest: number,
  archived: ReadonlySet<string> = new Set(),
): CommitPlan | null {
  if (live.length <= keep) return null;
  const retained = keep === 0 ? [] : live.slice(-keep);
  const fresh = live.slice(0, live.length - keep).filter((m) => !archived.has(m.id));
  return { fresh, retained, n: fresh.length > 0 ? latest + 1 : latest };
}

/**
 * The files of a new archive: its messages, the extractive overview (with what the archived turns
 * used, from the pending usages' JSONL `usedText`) and abstract, the usages, and `extra`.
 */
export function archiveFiles(
  session_id: string,
  plan: CommitPlan,
  usedText: string,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const section = usageSection(parseUsages(usedText));
  const overview = overviewOf(session_id, archiveName(plan.n), plan.fresh);
  return {
    [MESSAGES_FILE]: toJsonl(plan.fresh),
    [OVERVIEW_FILE]: section === '' ? overview : `${overview}\n${section}`,
    [ABSTRACT_FILE]: abstractOf(plan.fresh),
    ...(usedText === '' ? {} : { [USED_FILE]: usedText }),
    ...extra,
  };
}

/** The meta after `plan` was committed. */
export function metaAfterCommit(meta: SessionMeta, plan: CommitPlan, now: string): SessionMeta {
  return { ...meta, message_count: plan.retained.length, commit_count: plan.n, updated_at: now };
}

/** The archive name a commit answers: null when nothing was archived. */
export function committedName(plan: CommitPlan): string | null {
  return plan.fresh.length > 0 ? archiveName(plan.n) : null;
}
