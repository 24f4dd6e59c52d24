/**
 * Background tasks (`GET /api/v1/tasks[/{id}]`, OpenViking's task tracker): work a request started
 * without waiting for it — add_resource's indexing — reported as pending/running/completed/failed
 * with its result or error. In memory (lost on restart, like OpenViking's), bounded in number and
 * kept for a day after they finish. A task belongs to the (account, user) that started it; anyone
 * else gets NOT_FOUND, exactly as for an unknown id.
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { RequestContext } from '../policy/index.js';

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed';
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'running', 'completed', 'failed'];

/** A task as the API returns it (OpenViking's `TaskRecord.to_dict()`, plus `error_code`). */
export interface TaskView {
  readonly task_id: string;
  readonly task_type: string;
  readonly status: TaskStatus;
  /** Epoch seconds, as OpenViking's clients read them. */
  readonly created_at: number;
  readonly updated_at: number;
  /** The same instants in ISO 8601 (UTC), like every other time of the API (and OpenViking's `*_iso`). */
  readonly created_at_iso: string;
  readonly updated_at_iso: string;
  readonly resource_id: string | null;
  readonly result: Record<string, unknown> | null;
  readonly error: string | null;
  readonly error_code: string | null;
}

interface Task extends Omit<TaskView, 'created_at_iso' | 'updated_at_iso'> {
  readonly owner: string;
}

export interface TaskFilter {
  readonly task_type?: string;
  readonly status?: TaskStatus;
  readonly resource_id?: string;
  readonly limit?: number;
}

const MAX_TASKS = 10_000;
const FINISHED_TTL_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function ownerOf(ctx: RequestContext): string {
  return `${ctx.effective.account_id}\u0000${ctx.effective.user_id}`;
}

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

function view(task: Task): TaskView {
  const { task_id, task_type, status, created_at, updated_at, resource_id, result, error, error_code } = task;
  const times = { created_at_iso: iso(created_at), updated_at_iso: iso(updated_at) };
  return {
    task_id,
    task_type,
    status,
    created_at,
    updated_at,
    ...times,
    resource_id,
    result,
    error,
    error_code,
  };
}

export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts `work` in the background as a task of the caller and returns it (status `running`).
   * The task completes with what `work` resolves to, or fails with its error's message and code.
   */
  start(
    ctx: RequestContext,
    task_type: string,
    resource_id: string | null,
    work: () => Promise<Record<string, unknown>>,
  ): TaskView {
    this.prune();
    const at = this.now() / 1000;
    const task: Task = {
      task_id: randomUUID(),
      task_type,
      status: 'running',
      created_at: at,
      updated_at: at,
      resource_id,
      result: null,
      error: null,
      error_code: null,
      owner: ownerOf(ctx),
    };
    this.tasks.set(task.task_id, task);
    work().then(
      (result) => this.finish(task, { status: 'completed', result }),
      (error: unknown) => {
        const code = isAppError(error) ? error.code : 'INTERNAL';
        const message = isAppError(error) ? error.message : 'internal error';
        this.finish(task, { status: 'failed', error: message, error_code: code });
      },
    );
    return view(task);
  }

  /** The caller's task `id`; NOT_FOUND for an unknown, expired or other caller's one. */
  get(ctx: RequestContext, id: string): TaskView {
    const task = UUID.test(id) ? this.tasks.get(id) : undefined;
    if (task === undefined || task.owner !== ownerOf(ctx)) {
      throw new AppError('NOT_FOUND', 'task not found or expired', { task_id: id });
    }
    return view(task);
  }

  /** The caller's tasks, newest first, narrowed by the filter (at most `limit`, default 50). */
  list(ctx: RequestContext, filter: TaskFilter = {}): TaskView[] {
    const owner = ownerOf(ctx);
    return [...this.tasks.values()]
      .filter(
        (t) =>
          t.owner === owner &&
          (filter.task_type === undefined || t.task_type === filter.task_type) &&
          (filter.status === undefined || t.status === filter.status) &&
          (filter.resource_id === undefined || t.resource_id === filter.resource_id),
      )
      .sort((a, b) => b.created_at - a.created_at)
      .slice(0, filter.limit ?? 50)
      .map(view);
  }

  private finish(task: Task, change: Partial<Task>): void {
    this.tasks.set(task.task_id, { ...task, ...change, updated_at: this.now() / 1000 });
  }

  /** Drops finished tasks older than a day, then the oldest finished ones beyond the bound. */
  private prune(): void {
    const cutoff = (this.now() - FINISHED_TTL_MS) / 1000;
    const finished = [...this.tasks.values()].filter(
      (t) => t.status === 'completed' || t.status === 'failed',
    );
    for (const t of finished) if (t.updated_at < cutoff) this.tasks.delete(t.task_id);
    const excess = this.tasks.size - MAX_TASKS + 1;
    if (excess <= 0) return;
    finished
      .filter((t) => this.tasks.has(t.task_id))
      .sort((a, b) => a.updated_at - b.updated_at)
      .slice(0, excess)
      .forEach((t) => this.tasks.delete(t.task_id));
  }
}
