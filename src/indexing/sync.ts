/**
 * Applies a batch of index jobs by making the index agree with the filesystem (the source of truth):
 * every job names a region (a file, a message, a subtree) that is re-read from disk, so replaying or
 * reordering jobs converges to the same index. Deletes go first, then batched embedding and upserts,
 * then removal of chunks a shorter file no longer has.
 */
import { setImmediate } from 'node:timers/promises';
import { assertNever } from '../errors.js';
import type { Logger } from '../log.js';
import { releaseBuffer } from '../release-buffer.js';
import {
  and,
  cmp,
  eq,
  levelIs,
  or,
  subtree,
  type Expr,
  type NamespacePolicy,
  ROOT_URI,
} from '../policy/index.js';
import type { Embedder } from '../embedders/embedder.js';
import type { FileStorage } from '../fs/storage.js';
import type { Job } from './queue.js';
import {
  decodeText,
  fileRecordsInSlices,
  folderMetaLevel,
  LEVEL_CHUNK,
  messageRecords,
  messageUri,
  recordOf,
  recordUriOfFile,
  DEFAULT_CHUNKING,
  type ChunkOptions,
  type IndexRecord,
  type RecordDraft,
} from './records.js';
import type { SessionMessageSource } from './messages.js';
import { readFileAt, sessionOfMessagesFile, walkFiles } from './source.js';
import type { AccountEpochs, RecordIndex } from '../index/record-index.js';

/** Units whose files are read at once. */
const READ_WINDOW = 32;
/** Records gathered before they are written (bounds the memory of a batch of large files). */
const WRITE_RECORDS = 4096;

export interface SyncDeps {
  /** The source of truth the jobs' regions are read from. */
  readonly files: FileStorage;
  readonly store: RecordIndex;
  readonly embedder: Embedder;
  readonly policyOf: (account_id: string) => Promise<NamespacePolicy>;
  /** Session messages, as the session service stores them. */
  readonly messages: SessionMessageSource;
  readonly log: Logger;
  readonly chunking?: ChunkOptions;
  /** Texts per embedder call (default 64). */
  readonly embedBatch?: number;
}

type Unit =
  | { readonly kind: 'file'; readonly account: string; readonly uri: string }
  | {
      readonly kind: 'message';
      readonly account: string;
      readonly session_id: string;
      readonly message_id: string;
    };

/** Records a file's URI owns at its level (all chunks of a file, or the folder's level 0/1 record). */
function fileRegion(account: string, uri: string, fromChunk = 0): Expr {
  const level = folderMetaLevel(uri) ?? LEVEL_CHUNK;
  return and(
    eq('account_id', account),
    eq('uri', recordUriOfFile(uri)),
    levelIs(level),
    ...(fromChunk > 0 ? [cmp('chunk_index', '>=', fromChunk)] : []),
  );
}

function unitKey(unit: Unit): string {
  return unit.kind === 'file'
    ? JSON.stringify([unit.account, unit.uri])
    : JSON.stringify([unit.account, unit.session_id, unit.message_id]);
}

interface Region {
  readonly account: string;
  readonly uri: string;
}

/** Files and messages to re-read, and subtrees to clear and re-read, with duplicates merged. */
function planOf(jobs: readonly Job[]): { units: Map<string, Unit>; regions: Region[] } {
  const units = new Map<string, Unit>();
  const add = (unit: Unit): void => void units.set(unitKey(unit), unit);
  const regions: Region[] = [];
  for (const job of jobs) {
    switch (job.type) {
      case 'file':
        add({ kind: 'file', account: job.account, uri: job.uri });
        break;
      case 'message':
        add({
          kind: 'message',
          account: job.account,
          session_id: job.session_id,
          message_id: job.message_id,
        });
        break;
      case 'remove':
        regions.push({ account: job.account, uri: job.uri });
        break;
      case 'move':
        regions.push({ account: job.account, uri: job.from }, { account: job.account, uri: job.to });
        break;
      case 'account':
        regions.push({ account: job.account, uri: ROOT_URI });
        break;
      default:
        assertNever(job);
    }
  }
  return { units, regions };
}

/**
 * The epoch each account's records are fenced with: its jobs' latest (epochs only grow, and every job
 * of the batch was journaled before any of its sources is read). Jobs without one add nothing.
 */
function epochsOf(jobs: readonly Job[]): Map<string, number> {
  const epochs = new Map<string, number>();
  for (const { account, epoch } of jobs)
    if (epoch !== undefined) epochs.set(account, Math.max(epoch, epochs.get(account) ?? 0));
  return epochs;
}

export class IndexSync {
  private readonly policies = new Map<string, Promise<NamespacePolicy>>();
  /** The store's purge mark when the batch began, before it read anything (see RecordIndex.upsert). */
  private readSince = 0;
  /** The epoch of each account's jobs in the batch (see RecordIndex.upsert). */
  private epochs: AccountEpochs = new Map();

  constructor(private readonly deps: SyncDeps) {}

  /** Brings the index in line with the filesystem for every region the jobs name. */
  async apply(jobs: readonly Job[]): Promise<void> {
    this.policies.clear();
    this.readSince = this.deps.store.purgeMark();
    this.epochs = epochsOf(jobs);
    const { units, regions } = planOf(jobs);
    const deletes: Expr[] = [];
    for (const region of regions) {
      deletes.push(and(eq('account_id', region.account), subtree(region.uri)));
      // A removed `.abstract.md` owns a record of its folder, outside its own subtree.
      if (folderMetaLevel(region.uri) !== null) deletes.push(fileRegion(region.account, region.uri));
      // Whatever is stored there now (a move's target, a re-created folder) is indexed again.
      for (const uri of await walkFiles(this.deps.files, region.account, region.uri)) {
        const unit: Unit = { kind: 'file', account: region.account, uri };
        units.set(unitKey(unit), unit);
      }
    }
    await this.deps.store.deleteWhere(or(...deletes));
    await this.indexUnits([...units.values()]);
  }

  /** Reads, embeds and upserts units in slices, then drops the chunks files no longer have. */
  /**
   * Reads units a window at a time (their file reads overlap: one at a time, each waited behind
   * every request the event loop holds, a batch took seconds under load), then embeds and writes
   * what accumulated in one upsert and one delete — few index versions per batch.
   */
  private async indexUnits(units: readonly Unit[]): Promise<void> {
    let drafts: RecordDraft[] = [];
    let stale: Expr[] = [];
    for (let start = 0; start < units.length; start += READ_WINDOW) {
      const window = units.slice(start, start + READ_WINDOW);
      for (const result of await Promise.all(window.map((unit) => this.draftsOf(unit)))) {
        drafts.push(...result.drafts);
        if (result.stale !== null) stale.push(result.stale);
      }
      if (drafts.length >= WRITE_RECORDS) {
        await this.write(drafts, stale);
        drafts = [];
        stale = [];
      }
    }
    await this.write(drafts, stale);
  }

  /**
   * Embeds in slices of `embedBatch`, then upserts everything at once and drops stale chunks. The
   * vectors are copied into one block, freed as soon as the store has its own copies (before its
   * commit): a 9.5 MiB file's 12.4k vectors are 19 MB, which as as many small allocations stayed in
   * the allocator's heap through LanceDB's commit, the write's largest moment (issue 23 item 5).
   */
  private async write(drafts: readonly RecordDraft[], stale: readonly Expr[]): Promise<void> {
    const size = this.deps.embedBatch ?? 64;
    const dimension = this.deps.embedder.dimension;
    const block = new Float32Array(drafts.length * dimension);
    const records: IndexRecord[] = [];
    for (let i = 0; i < drafts.length; i += size) {
      // An embedder that computes in-process (the built-in one) resolves at once: without a turn of
      // the event loop between slices, a large file's thousands of chunks would embed in one block.
      if (i > 0) await setImmediate();
      const slice = drafts.slice(i, i + size);
      const vectors = await this.deps.embedder.embed(slice.map((d) => d.text));
      slice.forEach((d, j) => records.push(recordOf(d, inBlock(block, dimension, i + j, vectors[j]))));
    }
    await this.deps.store.upsert(records, this.readSince, this.epochs, {
      copied: () => releaseBuffer(block),
    });
    await this.deps.store.deleteWhere(or(...stale));
  }

  private policy(account: string): Promise<NamespacePolicy> {
    let policy = this.policies.get(account);
    if (policy === undefined) {
      policy = this.deps.policyOf(account);
      this.policies.set(account, policy);
    }
    return policy;
  }

  /** The records a unit should have now, and the expression of its records that must go. */
  private async draftsOf(unit: Unit): Promise<{ drafts: RecordDraft[]; stale: Expr | null }> {
    if (unit.kind === 'message') return this.messageDrafts(unit);
    const file = await readFileAt(this.deps.files, unit.account, unit.uri);
    const text = file === null ? null : decodeText(file.bytes);
    // Decoded: the bytes (the file's size) are freed now, not at a full collection.
    if (file !== null) releaseBuffer(file.bytes);
    if (file === null || text === null) return { drafts: [], stale: fileRegion(unit.account, unit.uri) };
    const session_id = sessionOfMessagesFile(unit.uri);
    const policy = await this.policy(unit.account);
    try {
      if (session_id !== null) {
        const drafts = this.deps.messages
          .messagesIn(text, unit.uri)
          .flatMap((m) => messageRecords(unit.account, session_id, m.id, m.message, policy));
        return { drafts, stale: null };
      }
      const chunking = this.chunking();
      const drafts = await fileRecordsInSlices(unit.account, unit.uri, text, policy, file, chunking);
      return { drafts, stale: fileRegion(unit.account, unit.uri, drafts.length) };
    } catch (error) {
      // Not a canonical URI under the account's policy: it can never be read, so it is not indexed.
      this.deps.log.warn({ err: error, account: unit.account, uri: unit.uri }, 'file not indexable');
      return { drafts: [], stale: fileRegion(unit.account, unit.uri) };
    }
  }

  private async messageDrafts(
    unit: Extract<Unit, { kind: 'message' }>,
  ): Promise<{ drafts: RecordDraft[]; stale: Expr | null }> {
    const uri = messageUri(unit.session_id, unit.message_id);
    const stale = and(eq('account_id', unit.account), eq('uri', uri));
    const message = await this.deps.messages.message(unit.account, unit.session_id, unit.message_id);
    if (message === null) return { drafts: [], stale };
    const policy = await this.policy(unit.account);
    const drafts = messageRecords(unit.account, unit.session_id, unit.message_id, message, policy);
    return { drafts, stale: drafts.length === 0 ? stale : null };
  }

  private chunking(): ChunkOptions {
    return this.deps.chunking ?? DEFAULT_CHUNKING;
  }
}

/**
 * Record `at`'s vector as a view of `block` (`dimension` floats a record), the embedder's vector
 * copied in; a vector of another length (or none) is kept as it is, for the store to refuse as before.
 */
function inBlock(
  block: Float32Array,
  dimension: number,
  at: number,
  vector: Float32Array | undefined,
): Float32Array {
  if (vector === undefined) return new Float32Array();
  if (vector.length !== dimension) return vector;
  const view = block.subarray(at * dimension, (at + 1) * dimension);
  view.set(vector);
  return view;
}
