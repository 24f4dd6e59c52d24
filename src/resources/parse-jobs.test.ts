import { isAppError } from '../errors.js';
import {
  configureParsePool,
  DEFAULT_DOCUMENT_LIMITS,
  DEFAULT_PARSE_POOL,
  htmlToMarkdown,
  parsingFor,
} from './parse-jobs.js';

// One worker, one waiting conversion per account: the cap is reached by the third of one account.
beforeAll(() =>
  configureParsePool({ ...DEFAULT_PARSE_POOL, workers: 1, maxQueue: 8, maxQueuePerAccount: 1 }),
);
afterAll(() => configureParsePool(DEFAULT_PARSE_POOL));

// All sent in one turn: the first takes the worker, the second waits, the third finds no room.
const convert = () => htmlToMarkdown('a.html', '<p>x</p>', DEFAULT_DOCUMENT_LIMITS);

test("past its cap an account's conversion is a 429 naming the limit; another account's still waits", async () => {
  const [acme, other] = await Promise.all([
    parsingFor('acme', () => Promise.allSettled([convert(), convert(), convert()])),
    parsingFor('other', () => Promise.allSettled([convert()])),
  ]);
  expect(acme.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  const refused = acme[2] as PromiseRejectedResult;
  expect(isAppError(refused.reason)).toBe(true);
  expect(refused.reason).toMatchObject({
    code: 'RESOURCE_EXHAUSTED',
    message: 'too many documents of this account are waiting to be converted (at most 1); retry shortly',
    details: { limit: 1, retry_after_s: 1 },
  });
  expect(other.map((r) => r.status)).toEqual(['fulfilled']);
});
