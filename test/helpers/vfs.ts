/** Test helpers for the filesystem: a real temporary DATA_DIR, hand-built contexts, recording hooks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentHooks } from '../../src/hooks.js';
import { Vfs, type SessionMessageReader } from '../../src/fs/index.js';
import {
  DEFAULT_POLICY,
  type NamespacePolicy,
  type RequestContext,
  type Role,
} from '../../src/policy/index.js';

export type HookCall = readonly [string, ...string[]];

/** Hooks that record every call in order. */
export function recordingHooks(): ContentHooks & { calls: HookCall[] } {
  const calls: HookCall[] = [];
  const record = (...call: HookCall) => {
    calls.push(call);
    return Promise.resolve([]);
  };
  return {
    calls,
    fileWritten: (a, uri) => record('fileWritten', a, uri),
    removed: (a, uri) => record('removed', a, uri),
    moved: (a, from, to) => record('moved', a, from, to),
    messageAdded: (a, s, m) => record('messageAdded', a, s, m),
    accountDeleted: (a) => record('accountDeleted', a),
  };
}

export function ctxOf(
  role: Role,
  user_id: string,
  agent_id = 'bot',
  policy: NamespacePolicy = DEFAULT_POLICY,
  account_id = 'acme',
): RequestContext {
  return { role, policy, effective: { account_id, user_id, agent_id } };
}

export function policyOf(userByAgent: boolean, agentByUser: boolean): NamespacePolicy {
  return { isolate_user_scope_by_agent: userByAgent, isolate_agent_scope_by_user: agentByUser };
}

export interface TestFs {
  dataDir: string;
  vfs: Vfs;
  hooks: ReturnType<typeof recordingHooks>;
  cleanup(): Promise<void>;
}

/** A Vfs over a fresh temporary DATA_DIR. */
export async function createTestFs(
  options: { maxFileBytes?: number; sessionMessages?: SessionMessageReader } = {},
): Promise<TestFs> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-fs-'));
  const hooks = recordingHooks();
  const vfs = new Vfs({
    dataDir,
    hooks,
    maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
    ...(options.sessionMessages === undefined ? {} : { sessionMessages: options.sessionMessages }),
  });
  return { dataDir, vfs, hooks, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/** The error code a promise rejects with ('ok' if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
