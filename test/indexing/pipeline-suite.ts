/**
 * The pipeline's contract on any {@link IndexJournal}: run on the data directory's file queue
 * (pipeline-local.test.ts) and on PostgreSQL (test/storage/pg/pipeline-pg.test.ts). Waits, order
 * within an account, jobs handed back at stop, a failed job, and jobs appended with no worker running.
 */
import type { IndexJournal } from '../../src/indexing/journal.js';
import type { PipelineOptions } from '../../src/indexing/pipeline.js';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { IndexFixture } from '../helpers/index-fixture.js';
import { RecordingEmbedder, type Embedded } from '../helpers/recording-embedder.js';
import { canonicalUri } from '../../src/policy/index.js';

export interface JournalSource {
  /** A journal for one more pipeline on the same jobs; undefined: the data directory's file queue. */
  open(): IndexJournal | undefined;
}

export function pipelineSuite(source: JournalSource): void {
  let f: IndexFixture;
  let log: Embedded[];
  let gated: GatedEmbedder;

  beforeEach(() => {
    f = new IndexFixture();
    log = [];
    gated = new GatedEmbedder(new RecordingEmbedder('p', log));
  });

  afterEach(async () => {
    gated.open('holdgate');
    await f.close();
  });

  const start = (options: Partial<Pick<PipelineOptions, 'batchSize' | 'worker' | 'afterApplied'>> = {}) =>
    f.start({ embedder: gated, journal: source.open(), ...options });

  /** A new pipeline (and index handle) on the same data, as after a restart. */
  async function restart(options: Partial<Pick<PipelineOptions, 'worker'>> = {}): Promise<void> {
    await f.pipeline.stop();
    await f.store.close();
    await start(options);
  }

  async function written(account: string, uri: string, content: string) {
    await f.write(account, uri, content);
    return f.pipeline.fileWritten(account, canonicalUri(uri));
  }

  test('waitFor resolves once its jobs are applied and afterApplied ran', async () => {
    let caughtUp = 0;
    await start({ afterApplied: () => Promise.resolve(void (caughtUp += 1)) });
    const tickets = await written('acme', 'viking://resources/a.md', 'alpha words');
    await f.pipeline.waitFor(tickets, 60_000);
    expect((await f.rows('acme')).map((r) => r.uri)).toEqual(['viking://resources/a.md']);
    expect(caughtUp).toBe(1);
    // Asked again once applied: at once.
    await f.pipeline.waitFor(tickets, 1000);
    expect(caughtUp).toBe(2);
    expect((await f.pipeline.status()).queue_depth).toBe(0);
  });

  test("one account's jobs are applied once each, in the order they were accepted", async () => {
    await start({ batchSize: 3 });
    const tickets: number[] = [];
    for (let i = 0; i < 12; i++) {
      const account = i % 3 === 0 ? 'globex' : 'acme';
      tickets.push(...(await written(account, `viking://resources/f${i}.md`, `${account}-${i}`)));
    }
    await f.pipeline.waitFor(tickets, 60_000);
    const applied = (account: string) =>
      log.map((e) => e.text).filter((text) => text.startsWith(`${account}-`));
    expect(applied('acme')).toEqual([1, 2, 4, 5, 7, 8, 10, 11].map((i) => `acme-${i}`));
    expect(applied('globex')).toEqual([0, 3, 6, 9].map((i) => `globex-${i}`));
  });

  test('stop hands the jobs it holds back: the next pipeline applies them at once', async () => {
    await start({ batchSize: 10 });
    const resume = await f.pipeline.pause();
    gated.close('holdgate');
    // Taken in one go; the rebuild splits them into batches, so two are held behind the first.
    await written('acme', 'viking://resources/hold.md', 'holdgate');
    await f.pipeline.rebuild(['globex'], 'test');
    const later = await written('acme', 'viking://resources/later.md', 'later words');
    resume();
    await gated.reached('holdgate');
    const stopped = f.pipeline.stop();
    gated.open('holdgate');
    expect(await stopped).toBe(true);
    await f.store.close();
    await start();
    // Well within a lease (30 s): the jobs were released, not left to lapse.
    await f.pipeline.waitFor(later, 20_000);
    expect((await f.rows('acme')).map((r) => r.uri)).toEqual([
      'viking://resources/hold.md',
      'viking://resources/later.md',
    ]);
    await f.pipeline.waitIdle();
    expect(f.pipeline.rebuilding('globex')).toBe(false);
  });

  test('a dropped job fails its wait with INTERNAL naming the URI; the other jobs are applied', async () => {
    await start();
    f.failing.add('broken');
    const bad = await written('broken', 'viking://resources/b.md', 'cannot index');
    const good = await written('acme', 'viking://resources/ok.md', 'can index');
    await expect(f.pipeline.waitFor([...bad, ...good], 60_000)).rejects.toMatchObject({
      code: 'INTERNAL',
      details: { uri: 'viking://resources/b.md' },
    });
    await f.pipeline.waitFor(good, 60_000);
    await expect(f.pipeline.waitFor(bad, 60_000)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await f.pipeline.status()).failed_jobs).toBe(1);
    expect(await f.rows('acme')).toHaveLength(1);
  });

  test('a pipeline with worker: false appends but applies nothing; a worker started later does', async () => {
    await start({ worker: false });
    const tickets = await written('acme', 'viking://resources/w.md', 'queued words');
    await expect(f.pipeline.waitFor(tickets, 300)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(log).toEqual([]);
    expect((await f.pipeline.status()).queue_depth).toBe(1);
    await expect(f.pipeline.queueFor('acme')).resolves.toMatchObject({ queue_depth: 1 });
    await restart();
    await f.pipeline.waitFor(tickets, 20_000);
    expect((await f.rows('acme')).map((r) => r.uri)).toEqual(['viking://resources/w.md']);
    expect(await f.pipeline.pendingFor('acme')).toBe(0);
  });
}
