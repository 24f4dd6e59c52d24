-- Up Migration
-- Distributed mode (SPEC 14): retrieval tags (src/storage/pg/tags.ts; the embedded mode keeps them in
-- `_system/tags.json`). One row per tagged URI, and one version row per account that every change
-- moves to a new value of one sequence — never a value it had before, not even after the account's
-- tags were removed and tagged again — so a process may cache an account's tags while the version
-- it reads (one primary-key lookup) is the one it cached. A change is one transaction: it creates
-- (at version 0, meaning "no tags") or locks the account's version row FOR UPDATE, so writers of
-- every process take turns, writes the URIs it changed and moves the version on.
CREATE SEQUENCE tag_versions_seq;

CREATE TABLE tag_versions (
  account_id text COLLATE "C" PRIMARY KEY CHECK (account_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  version bigint NOT NULL
);

-- `tags` is a JSON array of strings, in the order they were given. Removing the version row (the
-- account was deleted) removes its tags.
CREATE TABLE tags (
  account_id text COLLATE "C" NOT NULL REFERENCES tag_versions (account_id) ON DELETE CASCADE,
  uri text COLLATE "C" NOT NULL CHECK (starts_with(uri, 'viking://')),
  tags jsonb NOT NULL CHECK (jsonb_typeof(tags) = 'array'),
  PRIMARY KEY (account_id, uri)
);

-- Down Migration
DROP TABLE tags;
DROP TABLE tag_versions;
DROP SEQUENCE tag_versions_seq;
