/**
 * The shared SessionStorage suite on the local files of the embedded mode, and the layout those
 * files keep (SPEC 8, unchanged by the storage interface). Crash safety of the files is
 * test/sessions/durability.test.ts and meta-repair.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalSessionStorage } from '../../src/sessions/local-storage.js';
import { tempDir } from '../helpers/temp-dir.js';
import { message, sessionSuite } from './session-suite.js';

function localFixture() {
  const dir = tempDir('vs-session-local-');
  // The accounts exist, as they do before any request reaches the service.
  for (const account of ['acme', 'other']) mkdirSync(join(dir.path, 'fs', account), { recursive: true });
  const storage = new LocalSessionStorage(dir.path);
  return {
    dir: dir.path,
    fixture: {
      storage,
      // One process per DATA_DIR (the pid lock): another "process" is this one.
      peer: storage,
      reopen: () => Promise.resolve(new LocalSessionStorage(dir.path)),
      close: () => Promise.resolve(dir.remove()),
    },
  };
}

sessionSuite('local files (embedded mode)', () => Promise.resolve(localFixture().fixture));

test('the files stay at the paths of SPEC 8: messages.jsonl, .meta.json, .used.jsonl, history/archive_NNN/', async () => {
  const { dir, fixture } = localFixture();
  try {
    const s = fixture.storage;
    const [a, b] = [message('one'), message('two')];
    await s.append('acme', 's1', 'alice', [a, b]);
    await s.recordUsages('acme', 's1', 'alice', [
      { uri: 'viking://resources/a.md', type: 'context', user_id: 'alice', timestamp: 't' },
    ]);
    const session = join(dir, 'fs', 'acme', 'session', 's1');
    expect((await readdir(session)).sort()).toEqual(['.meta.json', '.used.jsonl', 'messages.jsonl']);
    expect(await readFile(join(session, 'messages.jsonl'), 'utf8')).toBe(
      `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`,
    );
    await s.commit('acme', 's1', 'alice', 1, {});
    const archive = join(session, 'history', 'archive_001');
    expect((await readdir(archive)).sort()).toEqual([
      '.abstract.md',
      '.overview.md',
      '.used.jsonl',
      'messages.jsonl',
    ]);
    expect(await readFile(join(archive, 'messages.jsonl'), 'utf8')).toBe(`${JSON.stringify(a)}\n`);
    expect(await readFile(join(session, 'messages.jsonl'), 'utf8')).toBe(`${JSON.stringify(b)}\n`);
    expect(await readFile(join(session, '.used.jsonl'), 'utf8')).toBe('');
  } finally {
    await fixture.close();
  }
});
