import { LocalFileStorage } from '../../src/storage/local-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fileStorageSuite } from './file-suite.js';

fileStorageSuite('local files (embedded mode)', () => {
  const dir = tempDir('vs-files-local-');
  return Promise.resolve({
    storage: new LocalFileStorage(dir.path),
    // A second instance has its own mutex: only the disk keeps `create` exclusive between them.
    other: () => Promise.resolve(new LocalFileStorage(dir.path)),
    close: () => Promise.resolve(dir.remove()),
  });
});
