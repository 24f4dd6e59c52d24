import { LocalRegistryStorage } from '../../src/accounts/persist.js';
import { tempDir } from '../helpers/temp-dir.js';
import { registrySuite } from './registry-suite.js';

registrySuite('local files (embedded mode)', () => {
  const dir = tempDir('vs-registry-local-');
  return Promise.resolve({
    storage: new LocalRegistryStorage(dir.path),
    dataDir: dir.path,
    reopen: () => Promise.resolve(new LocalRegistryStorage(dir.path)),
    close: () => Promise.resolve(dir.remove()),
  });
});
