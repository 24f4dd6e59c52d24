/** Waiting with a deadline, for the shutdown paths (HTTP drain, index batch) that must stay bounded. */

/**
 * Whether `work` settles (either way) within `ms`; an infinite `ms` waits for it.
 * @example await settlesWithin(server.closed, 5000) // false if it took longer than 5 s
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
  if (!Number.isFinite(ms)) return settled;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result;
}
