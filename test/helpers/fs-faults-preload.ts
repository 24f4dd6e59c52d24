/**
 * Preload for a child `node` process (after ts-register.mjs): its `node:fs/promises` fails writes
 * below DATA_DIR with EROFS once it receives SIGUSR2 — the data directory turning read-only under a
 * running server. See faulty-fs.ts.
 */
import { promises } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { faultyFs } from './faulty-fs.js';

const { module, faults } = faultyFs({ ...promises });
Object.assign(promises, module);
// ES modules importing from node:fs/promises see the replaced functions too.
syncBuiltinESMExports();

const dataDir = process.env['DATA_DIR'];
if (dataDir === undefined) throw new Error('fs-faults-preload needs DATA_DIR');
process.on('SIGUSR2', () => faults.inject('EROFS', dataDir));
