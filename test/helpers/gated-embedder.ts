/**
 * An embedder for backlog tests: a batch with a text containing a closed gate's token waits until the
 * gate opens (a slow or stuck tenant's content), and a batch with a poisoned token fails (a job that
 * can never be indexed). Vectors come from the inner embedder, so its index is compatible with it.
 */
import type { Embedder } from '../../src/embedders/embedder.js';
import { HashEmbedder } from './test-embedder.js';

interface Gate {
  readonly opened: Promise<void>;
  readonly open: () => void;
  readonly reached: Promise<void>;
  readonly reach: () => void;
}

function gate(): Gate {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { opened, open, reached, reach };
}

export class GatedEmbedder implements Embedder {
  private readonly gates = new Map<string, Gate>();
  private readonly poisoned = new Set<string>();
  readonly id: string;
  readonly dimension: number;

  /** `inner` computes the vectors (a HashEmbedder by default; the builtin one to match a real index). */
  constructor(private readonly inner: Embedder = new HashEmbedder()) {
    this.id = inner.id;
    this.dimension = inner.dimension;
  }

  /** Batches with a text containing `token` wait until {@link open}. */
  close(token: string): void {
    this.gates.set(token, gate());
  }

  open(token: string): void {
    this.gates.get(token)?.open();
  }

  /** Resolves once a batch with `token` is waiting at its closed gate (or went through it). */
  reached(token: string): Promise<void> {
    const g = this.gates.get(token);
    if (g === undefined) throw new Error(`no gate for ${token}`);
    return g.reached;
  }

  /** Batches with a text containing `token` fail. */
  poison(token: string): void {
    this.poisoned.add(token);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const has = (token: string) => texts.some((text) => text.includes(token));
    for (const token of this.poisoned) if (has(token)) throw new Error(`poisoned text (${token})`);
    for (const [token, g] of this.gates) {
      if (!has(token)) continue;
      g.reach();
      await g.opened;
    }
    return this.inner.embed(texts);
  }
}
