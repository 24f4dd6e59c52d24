import { LocalUploadStorage } from '../../src/storage/local-uploads.js';
import { uploadDirs, uploadStorageSuite } from './upload-suite.js';

// One process owns a DATA_DIR: "another process" is another storage on the same folder.
uploadStorageSuite('local files (embedded mode)', () => {
  const dirs = uploadDirs();
  const dir = dirs.next();
  return Promise.resolve({
    storage: new LocalUploadStorage(dir),
    dir,
    other: () => Promise.resolve({ storage: new LocalUploadStorage(dir), dir }),
    close: () => Promise.resolve(dirs.remove()),
  });
});
