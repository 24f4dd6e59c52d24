/**
 * Issue 23 item 5: room made for a commit's entries ahead, in time slices (`Postings.reserveAll`),
 * never loses an entry written between two of its slices.
 */
import { ENTRY, Postings } from './postings.js';

/** A term's entries as `slot:gen:tf` strings. */
function entries(postings: Postings, term: number): string[] {
  const out: string[] = [];
  const from = postings.start[term] as number;
  const data = postings.pool.data;
  for (let i = 0; i < (postings.length[term] as number); i++) {
    const at = from + i * ENTRY;
    out.push(`${data[at]}:${data[at + 1]}:${data[at + 2]}`);
  }
  return out;
}

test('room reserved in slices keeps every entry, whether or not the pool was written to between slices', async () => {
  for (const writeBetween of [false, true]) {
    const postings = new Postings();
    const words = Array.from({ length: 20 }, (_, i) => postings.idOf(`w${i}`));
    // Enough entries that the pool must grow for the room: its copy then takes several steps.
    for (let slot = 0; slot < 30_000; slot++) for (const term of words) postings.append(term, slot, 0, 1);
    const expected = words.map((term) => entries(postings, term));
    const extra = new Int32Array(postings.idLimit).fill(20_000);
    const before = postings.pool.data;
    let pauses = 0;
    await postings.reserveAll(words, extra, {
      sliceMs: 0,
      pause: () => {
        pauses += 1;
        // Before the last of the pool's four 4 MiB copies: chunks already copied hold some words'
        // regions, whose new entries the bigger copy lacks (it must not replace the pool then).
        if (writeBetween && pauses === 4) {
          words.forEach((term, i) => {
            postings.append(term, 99_999, 7, 3);
            (expected[i] as string[]).push('99999:7:3');
          });
        }
        return Promise.resolve();
      },
    });
    expect(pauses).toBeGreaterThan(words.length);
    expect(postings.pool.data).not.toBe(before);
    expect(words.map((term) => entries(postings, term))).toEqual(expected);
    // The room is there: 20,000 more entries per word append without moving any region.
    const starts = words.map((term) => postings.start[term]);
    for (let slot = 30_000; slot < 50_000; slot++)
      for (const term of words) postings.append(term, slot, 0, 1);
    expect(words.map((term) => postings.start[term])).toEqual(starts);
  }
});
