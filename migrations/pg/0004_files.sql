-- Up Migration
-- Distributed mode (SPEC 14): the file tree's rows hold together (src/storage/pg/files.ts).
-- 0001 made `files` one row per file or folder keyed by (account_id, uri) with its `parent_uri`;
-- this makes the tree a tree in the database itself, whatever process writes:
--   * `parent_uri` is exactly the URI without its last name, NULL only for the account's root
--     `viking://`, which is a folder. No LIKE anywhere: children are `parent_uri = $x`, a subtree is
--     the key range [uri || '/', uri || '0') (COLLATE "C", see 0001), so `%`, `_` and quotes in
--     names are plain bytes.
--   * every row's parent exists in the same account (a foreign key): a write whose folder was
--     removed or moved meanwhile fails instead of leaving an orphan no listing reaches. Checking it
--     takes a KEY SHARE lock on the parent row, so a concurrent removal waits for the write and
--     then takes the new file with it (ON DELETE CASCADE). A move updates `uri` and `parent_uri` of
--     the whole subtree in one statement; NO ACTION is checked at the end of that statement.
--   * writes never create the root: only account creation does, so a request still in flight when
--     its account is deleted cannot bring the account's tree back.
ALTER TABLE files ADD CONSTRAINT files_parent_of_uri CHECK (
  CASE
    WHEN parent_uri IS NULL THEN uri = 'viking://' AND kind = 'folder'
    WHEN parent_uri = 'viking://' THEN starts_with(uri, 'viking://')
      AND length(uri) > 9 AND strpos(substr(uri, 10), '/') = 0
    ELSE starts_with(uri, parent_uri || '/')
      AND length(uri) > length(parent_uri) + 1
      AND strpos(substr(uri, length(parent_uri) + 2), '/') = 0
  END
);
ALTER TABLE files ADD CONSTRAINT files_parent_exists FOREIGN KEY (account_id, parent_uri)
  REFERENCES files (account_id, uri) ON DELETE CASCADE;

-- Down Migration
ALTER TABLE files DROP CONSTRAINT files_parent_exists;
ALTER TABLE files DROP CONSTRAINT files_parent_of_uri;
