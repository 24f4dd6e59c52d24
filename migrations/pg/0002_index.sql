-- Up Migration
-- Distributed mode (SPEC 14): the index journal and the index records.

-- The journal of index jobs (src/indexing/queue.ts's jobs, as JSON). A worker claims jobs by
-- setting `claimed_by` and a lease; a job whose lease lapsed (its worker died) is claimed again.
-- An applied job is deleted. Jobs of one account are claimed in `seq` order and never by two
-- workers at once (src/storage/pg/journal.ts), so two jobs for one URI are never applied out of order.
CREATE TABLE index_jobs (
  seq bigserial PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  job jsonb NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  claimed_by text,
  lease_until timestamptz,
  CHECK ((claimed_by IS NULL) = (lease_until IS NULL))
);
CREATE INDEX index_jobs_account ON index_jobs (account_id, seq);

-- The index records: the columns of src/policy/columns.ts (a test holds them equal), the vector as
-- real[]. Every upsert and delete takes the next `seq` (deletes leave a tombstone: `deleted`, text
-- and vector emptied) so a process's in-memory cache catches up by `seq` (src/storage/pg/records.ts);
-- tombstones are purged later, and `index_records_horizon` says up to which seq they were.
CREATE SEQUENCE index_records_seq;
CREATE TABLE index_records (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  uri text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  owner_user_id text COLLATE "C",
  owner_agent_id text COLLATE "C",
  context_type text COLLATE "C" NOT NULL,
  text text NOT NULL,
  abstract text NOT NULL,
  session_id text COLLATE "C",
  message_id text,
  role text,
  role_id text,
  level integer NOT NULL,
  chunk_index integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  vector real[] NOT NULL,
  seq bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX index_records_by_seq ON index_records (seq);
-- One namespace's records together: the exact scan and pgvector's ORDER BY read only those.
CREATE INDEX index_records_namespace
  ON index_records (account_id, scope, owner_user_id, owner_agent_id) WHERE NOT deleted;
CREATE INDEX index_records_uri ON index_records (account_id, uri) WHERE NOT deleted;

CREATE TABLE index_records_horizon (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  purged_seq bigint NOT NULL
);
INSERT INTO index_records_horizon (singleton, purged_seq) VALUES (true, 0);

-- pgvector where it can be installed: `embedding` mirrors `vector` (a generated column, so the two
-- never disagree) for `ORDER BY embedding <=> $q`. Without it (or without the right to create it)
-- searches that miss the cache scan the filtered rows exactly.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
    ALTER TABLE index_records ADD COLUMN embedding vector
      GENERATED ALWAYS AS (CASE WHEN deleted THEN NULL ELSE vector::vector END) STORED;
  END IF;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pgvector not used: %', SQLERRM;
END
$$;

-- Down Migration
DROP TABLE index_records_horizon;
DROP TABLE index_records;
DROP SEQUENCE index_records_seq;
DROP TABLE index_jobs;
