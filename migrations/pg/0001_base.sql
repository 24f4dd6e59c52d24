-- Up Migration
-- Distributed mode (SPEC 14), base schema: the account registry, the file tree, sessions.
-- Tenants are `account_id`; ids are validated by the server (SPEC 1) before they get here, and the
-- checks below only refuse what no validated id can be. URIs are compared byte-wise (COLLATE "C")
-- so that a folder's subtree is one range of the primary key: [uri || '/', uri || '0').

-- The registry's version, bumped by every statement that changes accounts or users (triggers
-- below, so a change made by hand in psql reaches every process too), and announced on the channel
-- `registry_changed` at commit. Processes reload their in-memory registry when it moves.
CREATE TABLE registry_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL
);
INSERT INTO registry_version (singleton, version) VALUES (true, 0);

-- An account. A deleted account keeps its row as a tombstone (`deleted_at` set, users removed): a
-- re-created account with the same id gets the next `epoch`, so work queued for the old one (index
-- jobs, records) can be told apart and fenced off by (account_id, epoch).
CREATE TABLE accounts (
  account_id text COLLATE "C" PRIMARY KEY CHECK (account_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  -- SPEC 2's setting.json: {"namespace": {"isolate_user_scope_by_agent": …, "isolate_agent_scope_by_user": …}}
  settings jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  epoch bigint NOT NULL DEFAULT 1,
  deleted_at timestamptz,
  CHECK (jsonb_typeof(settings -> 'namespace') = 'object')
);

-- A registered user and its key, hashed as in users.json (src/accounts/keys.ts): the key itself
-- is never stored.
CREATE TABLE users (
  account_id text COLLATE "C" NOT NULL REFERENCES accounts (account_id),
  user_id text COLLATE "C" NOT NULL CHECK (user_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  role text NOT NULL CHECK (role IN ('admin', 'user')),
  key_prefix text NOT NULL,
  key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, user_id)
);

CREATE FUNCTION registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE registry_version SET version = version + 1;
  -- Notifications with equal payloads in one transaction are delivered once.
  PERFORM pg_notify('registry_changed', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();

-- The viking:// tree of every account: one row per file or folder, so list (by parent), stat, read,
-- write (upsert; `create` mode is INSERT … ON CONFLICT DO NOTHING) and move (one UPDATE over the
-- subtree's key range) are single statements. No foreign key to accounts: trusted and dev mode
-- have no registry, yet every valid account has files.
CREATE TABLE files (
  account_id text COLLATE "C" NOT NULL,
  uri text COLLATE "C" NOT NULL CHECK (uri LIKE 'viking://%'),
  -- NULL only for an account's root.
  parent_uri text COLLATE "C",
  kind text NOT NULL CHECK (kind IN ('file', 'folder')),
  content bytea,
  size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
  mtime timestamptz NOT NULL DEFAULT now(),
  attrs jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (account_id, uri),
  CHECK ((kind = 'file') = (content IS NOT NULL)),
  CHECK (kind = 'file' OR size = 0)
);
CREATE INDEX files_by_parent ON files (account_id, parent_uri, uri);

-- Sessions and their messages. An append takes the next number with
-- `UPDATE sessions SET next_seq = next_seq + 1 … RETURNING` and inserts the message in the same
-- transaction: the row lock orders appends to one session across processes.
CREATE TABLE sessions (
  account_id text COLLATE "C" NOT NULL,
  session_id text COLLATE "C" NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}'::jsonb,
  next_seq bigint NOT NULL DEFAULT 0 CHECK (next_seq >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, session_id)
);

CREATE TABLE messages (
  account_id text COLLATE "C" NOT NULL,
  session_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  message jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, session_id, seq),
  FOREIGN KEY (account_id, session_id) REFERENCES sessions (account_id, session_id) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE messages;
DROP TABLE sessions;
DROP TABLE files;
DROP TABLE users;
DROP TABLE accounts;
DROP FUNCTION registry_changed();
DROP TABLE registry_version;
