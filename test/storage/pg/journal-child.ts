// Child of journal.test.ts: claims jobs as worker "doomed" with a short lease, prints their sequence
// numbers as one JSON line and keeps renewing its lease until the parent kills it with SIGKILL.
import { createPool } from '../../../src/storage/pg/pool.js';
import { PgJournal } from '../../../src/storage/pg/journal.js';
import { poolDatabase } from '../../../src/storage/pg/sql.js';

const [url = '', count = '1', leaseMs = '500'] = process.argv.slice(2);
const pool = createPool(url, { max: 2 });
const journal = new PgJournal(poolDatabase(pool), { workerId: 'doomed', leaseMs: Number(leaseMs) });
const taken = await journal.take(Number(count));
process.stdout.write(`${JSON.stringify(taken.map((e) => e.seq))}\n`);
setInterval(() => undefined, 1000);
