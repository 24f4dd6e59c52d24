/**
 * The session context for an LLM (`GET /sessions/{id}/context`): live messages first (the newest
 * that fit the token budget), then the latest archive's overview, then older archives' abstracts,
 * newest first, while budget remains. Field names follow OpenViking's response.
 */
import { itemAt } from '../errors.js';
import type { StoredMessage } from './schema.js';
import { estimateTokens, messageTokens } from './summary.js';

export interface ArchiveSummary {
  readonly archive_id: string;
  readonly overview: string;
  readonly abstract: string;
}

export interface SessionContext {
  latest_archive_overview: string;
  pre_archive_abstracts: { archive_id: string; abstract: string }[];
  messages: StoredMessage[];
  estimatedTokens: number;
  stats: {
    totalArchives: number;
    includedArchives: number;
    droppedArchives: number;
    failedArchives: number;
    activeTokens: number;
    archiveTokens: number;
  };
}

/** The newest messages whose estimated tokens fit `budget`, in chronological order. */
export function newestThatFit(
  messages: readonly StoredMessage[],
  budget: number,
): { kept: StoredMessage[]; tokens: number } {
  let tokens = 0;
  let start = messages.length;
  while (start > 0) {
    const cost = messageTokens(itemAt(messages, start - 1));
    if (tokens + cost > budget) break;
    tokens += cost;
    start -= 1;
  }
  return { kept: messages.slice(start), tokens };
}

/** Assembles the context; `archives` are in ascending order (oldest first). */
export function buildContext(
  messages: readonly StoredMessage[],
  archives: readonly ArchiveSummary[],
  budget: number,
): SessionContext {
  const active = newestThatFit(messages, budget);
  let remaining = budget - active.tokens;
  let archiveTokens = 0;
  let overview = '';
  let included = 0;
  const latest = archives[archives.length - 1];
  if (latest !== undefined && estimateTokens(latest.overview) <= remaining) {
    overview = latest.overview;
    remaining -= estimateTokens(overview);
    archiveTokens += estimateTokens(overview);
    included += 1;
  }
  const abstracts: { archive_id: string; abstract: string }[] = [];
  for (const archive of archives.slice(0, -1).reverse()) {
    const cost = estimateTokens(archive.abstract);
    if (cost > remaining) break;
    abstracts.push({ archive_id: archive.archive_id, abstract: archive.abstract });
    remaining -= cost;
    archiveTokens += cost;
    included += 1;
  }
  return {
    latest_archive_overview: overview,
    pre_archive_abstracts: abstracts,
    messages: active.kept,
    estimatedTokens: active.tokens + archiveTokens,
    stats: {
      totalArchives: archives.length,
      includedArchives: included,
      droppedArchives: archives.length - included,
      failedArchives: 0,
      activeTokens: active.tokens,
      archiveTokens,
    },
  };
}
