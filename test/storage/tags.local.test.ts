import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTagStorage } from '../../src/storage/local-tags.js';
import { TagStore } from '../../src/tags/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tagStorageSuite } from './tag-suite.js';

// One process owns a DATA_DIR: "another process" is another store on the same storage.
tagStorageSuite('local files (embedded mode)', () => {
  const dir = tempDir('vs-tags-local-');
  mkdirSync(join(dir.path, 'fs', 'acme'), { recursive: true });
  mkdirSync(join(dir.path, 'fs', 'beta'), { recursive: true });
  const storage = new LocalTagStorage(dir.path);
  return Promise.resolve({
    storage,
    other: () => Promise.resolve(storage),
    close: () => Promise.resolve(dir.remove()),
  });
});

test('the local file keeps its format: `_system/tags.json`, a JSON object from URI to tags', async () => {
  const dir = tempDir('vs-tags-format-');
  try {
    const system = join(dir.path, 'fs', 'acme', '_system');
    mkdirSync(system, { recursive: true });
    // A file written before this storage existed is read as it is.
    writeFileSync(join(system, 'tags.json'), JSON.stringify({ 'viking://resources/a': ['x', 'y'] }));
    const tags = new TagStore(new LocalTagStorage(dir.path));
    expect(await tags.tagsOf('acme', 'viking://resources/a')).toEqual(['x', 'y']);
    await tags.update('acme', ['viking://resources/b'], ['z'], 'replace');
    expect(readFileSync(join(system, 'tags.json'), 'utf8')).toBe(
      '{"viking://resources/a":["x","y"],"viking://resources/b":["z"]}',
    );
  } finally {
    dir.remove();
  }
});
