-- Up Migration
-- Index jobs given up after retries (src/storage/pg/journal.ts): the job row is deleted like an
-- applied one and its failure recorded here in the same statement, so a request waiting for the job
-- on any process fails naming the URI, and status's `failed_jobs` counts it on every process.
-- Kept apart from `index_jobs`, a failure never blocks the later jobs of its account. Bounded: the
-- journal deletes failures older than an hour, and all but the newest 10,000, as it records more.
CREATE TABLE index_failures (
  seq bigint PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  uri text COLLATE "C" NOT NULL,
  error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_failures_at ON index_failures (failed_at);

-- The rebuild jobs pending, read by every process on each notification and poll (which accounts'
-- searches answer 503): a partial index keeps that read small however long the journal is.
CREATE INDEX index_jobs_rebuilds ON index_jobs (seq) WHERE job @> '{"rebuild": true}';

-- Down Migration
DROP INDEX index_jobs_rebuilds;
DROP TABLE index_failures;
