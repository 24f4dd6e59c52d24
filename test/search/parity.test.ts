/**
 * The parity guarantee (SPEC: retrieval visibility equals filesystem visibility), as a property over the
 * real HTTP app: random accounts, policies, users, agents and documents; for random identities and in
 * every mode, (a) every hit is readable by the same identity through the filesystem API, (b) every
 * document the identity may read is found by its unique token, (c) no hit comes from another account.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import fc from 'fast-check';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { logger } from '../../src/log.js';
import { buildServices, type Services } from '../../src/services.js';
import { checkParity } from './parity-check.js';
import { createAccounts, planArb, ROOT_KEY, writeDocs } from './world.js';

let dir: string;
let services: Services;
let app: Express;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-parity-'));
  services = await buildServices(
    loadConfig({ ROOT_API_KEY: ROOT_KEY, DATA_DIR: dir, EMBEDDER: 'builtin' }),
    logger,
  );
  app = createApp(services);
});

afterAll(async () => {
  await services.close();
  await rm(dir, { recursive: true, force: true });
});

test('search returns exactly what the filesystem lets each identity read, in every mode', async () => {
  await fc.assert(
    fc.asyncProperty(
      planArb,
      fc.array(fc.nat(), { minLength: 4, maxLength: 6 }),
      fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      async (plan, pickers, probes) => {
        const accounts = await createAccounts(app, plan.policies);
        const docs = await writeDocs(app, accounts, plan.docs);
        await checkParity(app, accounts, docs, pickers, probes);
      },
    ),
    // Each run builds a whole world over HTTP: report the first failure as is rather than shrinking.
    { numRuns: 6, endOnFailure: true },
  );
}, 180_000);
