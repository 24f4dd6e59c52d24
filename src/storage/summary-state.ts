/**
 * A folder's state of its generated summaries (fs/summaries.ts), in the internal file
 * SUMMARY_STATE_FILE (storage/names.ts): the number of documents below it, and for `.abstract.md` and `.overview.md`
 * the hash of the generated text, or null when the file there was written by someone else. The
 * indexer reads it too (`generatedSummaries` in fs/summaries.ts): generated summaries are browsing aids, never indexed (their text repeats the
 * files' own opening lines, so every search would find each folder beside its files).
 */
import { z } from 'zod';

export const SummaryState = z.object({
  documents: z.number().int().nonnegative(),
  '.abstract.md': z.string().nullable(),
  '.overview.md': z.string().nullable(),
  /** The lead texts of the folder's files as last read, so a write reads only the file it changed. */
  leads: z.record(z.string(), z.tuple([z.string(), z.string()]).readonly()).optional(),
});
export type SummaryState = z.infer<typeof SummaryState>;

/** A state file's text parsed, or null if there is none (or an unreadable one). */
export function parseSummaryState(text: string | null): SummaryState | null {
  if (text === null) return null;
  try {
    const parsed = SummaryState.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Names of the summary files a state marks as generated (and so not indexed). */
export function generatedNamesOf(state: SummaryState | null): Set<string> {
  const names = new Set<string>();
  if (state === null) return names;
  for (const name of ['.abstract.md', '.overview.md'] as const) if (state[name] !== null) names.add(name);
  return names;
}
