-- Up Migration
-- Distributed mode (SPEC 14): sessions as src/storage/pg/sessions.ts stores them, on 0001's
-- `sessions` (the meta, `next_seq`) and `messages` (one row per message, `seq` per session).
-- Every key starts with account_id. Changes to one session lock its `sessions` row, so appends are
-- linearizable across processes and a commit is one transaction. Message and usage texts are `json`
-- (stored as written) rather than `jsonb`, and archive files `bytea`: jsonb and text refuse NUL
-- characters, which a message may hold.

-- `json` keeps a message's text as written; nothing reads inside it in SQL (PostgreSQL cannot
-- convert a `\u0000` escape to text, so not even `message ->> 'id'`): the id is a column of its own.
ALTER TABLE messages ALTER COLUMN message TYPE json USING message::json;
ALTER TABLE messages
  ADD COLUMN message_id text COLLATE "C" CHECK (message_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  -- The archive holding the message; NULL while it is live.
  ADD COLUMN archive integer CHECK (archive > 0);
CREATE INDEX messages_by_id ON messages (account_id, session_id, message_id);

-- A session's archives (`history/archive_NNN`): their messages are the rows of `messages` with
-- this `archive`; their other files (summaries, usages, extraction state) are below.
CREATE TABLE session_archives (
  account_id text COLLATE "C" NOT NULL,
  session_id text COLLATE "C" NOT NULL,
  archive integer NOT NULL CHECK (archive > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, session_id, archive),
  FOREIGN KEY (account_id, session_id) REFERENCES sessions (account_id, session_id) ON DELETE CASCADE
);
ALTER TABLE messages ADD FOREIGN KEY (account_id, session_id, archive)
  REFERENCES session_archives (account_id, session_id, archive) ON DELETE CASCADE;

CREATE TABLE session_archive_files (
  account_id text COLLATE "C" NOT NULL,
  session_id text COLLATE "C" NOT NULL,
  archive integer NOT NULL,
  name text COLLATE "C" NOT NULL CHECK (name <> 'messages.jsonl' AND name !~ '/'),
  content bytea NOT NULL,
  PRIMARY KEY (account_id, session_id, archive, name),
  FOREIGN KEY (account_id, session_id, archive)
    REFERENCES session_archives (account_id, session_id, archive) ON DELETE CASCADE
);

-- Usages recorded by `POST /sessions/{id}/used` until the next commit, which moves them into the
-- archive's `.used.jsonl` and deletes them here.
CREATE TABLE session_usages (
  account_id text COLLATE "C" NOT NULL,
  session_id text COLLATE "C" NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  usage json NOT NULL,
  PRIMARY KEY (account_id, session_id, seq),
  FOREIGN KEY (account_id, session_id) REFERENCES sessions (account_id, session_id) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE session_usages;
ALTER TABLE messages DROP COLUMN archive;
DROP TABLE session_archive_files;
DROP TABLE session_archives;
ALTER TABLE messages DROP COLUMN message_id;
ALTER TABLE messages ALTER COLUMN message TYPE jsonb USING message::jsonb;
