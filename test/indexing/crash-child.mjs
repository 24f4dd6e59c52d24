// Child process of crash.test.ts: indexes files through a compiled pipeline with a slow embedder
// and prints "enqueued" once every job is durably accepted; the parent then kills it with SIGKILL.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setInterval, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';

const [buildDir, dataDir, lanceUri, count] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(buildDir, path)).href);
const { IndexStore } = await load('src/index/store.js');
const { IndexPipeline } = await load('src/indexing/pipeline.js');
const { logger } = await load('src/log.js');
const { pathOfUri } = await load('src/storage/paths.js');
const { LocalFileStorage } = await load('src/storage/local-files.js');

const embedder = {
  id: 'test:hash-64',
  dimension: 64,
  async embed(texts) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return texts.map(() => Float32Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0)));
  },
};
const policy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const store = await IndexStore.open({ uri: lanceUri, embedder });
const pipeline = new IndexPipeline({
  dataDir,
  files: new LocalFileStorage(dataDir),
  store,
  embedder,
  policyOf: async () => policy,
  messages: { message: async () => null, messagesIn: () => [] },
  log: logger,
  batchSize: 2,
});
await pipeline.start();
for (let i = 0; i < Number(count); i++) {
  const uri = `viking://resources/crash/f${i}.md`;
  const path = pathOfUri(dataDir, 'acme', uri);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `file number ${i}`);
  await pipeline.fileWritten('acme', uri);
}
for (const i of [0, 1]) {
  const uri = `viking://resources/crash/f${i}.md`;
  await rm(pathOfUri(dataDir, 'acme', uri));
  await pipeline.removed('acme', uri);
}
process.stdout.write('enqueued\n');
setInterval(() => {}, 1000);
