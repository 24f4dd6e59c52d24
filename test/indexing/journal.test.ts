/** The embedded queue as an IndexJournal: jobs handed out once, acknowledged in order, durably. */
import { LocalJournal } from '../../src/indexing/journal.js';
import { JobQueue, type Job } from '../../src/indexing/queue.js';
import { canonicalUri } from '../../src/policy/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const file = (uri: string): Job => ({ type: 'file', account: 'acme', uri: canonicalUri(uri) });

test('take hands each job out once; ack is in order and survives a reopen', async () => {
  const dir = tempDir('vs-journal-');
  try {
    const journal = new LocalJournal(await JobQueue.open(dir.path));
    const seqs = [
      await journal.append(file('viking://resources/a')),
      await journal.append(file('viking://resources/b')),
    ];
    seqs.push(
      await journal.append({ type: 'remove', account: 'globex', uri: canonicalUri('viking://resources/c') }),
    );
    const first = await journal.take(2);
    expect(first.map((e) => e.seq)).toEqual(seqs.slice(0, 2));
    const second = await journal.take(2);
    expect(second.map((e) => e.seq)).toEqual(seqs.slice(2));
    expect(await journal.backlog('globex')).toMatchObject({ depth: 1 });
    await expect(journal.ack(second)).rejects.toThrow(/in order/);
    await journal.ack(first);
    expect(await journal.backlog()).toMatchObject({ depth: 1 });
    await journal.release();
    expect((await journal.take(5)).map((e) => e.seq)).toEqual(seqs.slice(2));
    await journal.close();
    const reopened = new LocalJournal(await JobQueue.open(dir.path));
    expect((await reopened.take(5)).map((e) => e.seq)).toEqual(seqs.slice(2));
    expect(await reopened.backlog('acme')).toEqual({ depth: 0, oldestAt: null });
    await reopened.close();
  } finally {
    dir.remove();
  }
});
