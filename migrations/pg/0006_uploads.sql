-- Up Migration
-- Distributed mode (SPEC 14): temporary uploads (src/storage/pg/uploads.ts; the embedded mode keeps
-- them under DATA_DIR/uploads). `temp_upload` may reach one process and the request that uses the
-- upload another, so the bytes live here. One row per upload with its owner and upload time (ms
-- since the epoch, by the server's clock, which also decides expiry); the store checks the owner
-- and the age on every use. Sweeping expired uploads is one DELETE by `uploaded_at`: processes that
-- sweep at once each delete what is left (a row deleted by one is skipped by the others).
CREATE TABLE uploads (
  account_id text COLLATE "C" NOT NULL CHECK (account_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  upload_id text COLLATE "C" NOT NULL CHECK (upload_id ~ '^upload_[0-9a-f]{32}(\.[A-Za-z0-9]{1,16})?$'),
  user_id text COLLATE "C" NOT NULL,
  original_filename text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  uploaded_at bigint NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (account_id, upload_id)
);
CREATE INDEX uploads_by_time ON uploads (uploaded_at);

-- Down Migration
DROP TABLE uploads;
