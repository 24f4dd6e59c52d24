/**
 * Jest global setup and teardown: names the folder the run's one project build goes into
 * (test/helpers/compiled.ts builds it on first use) and removes it after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  process.env.VS_TEST_BUILD_DIR = mkdtempSync(join(tmpdir(), 'vs-build-'));
}

export function teardown() {
  const dir = process.env.VS_TEST_BUILD_DIR;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
