-- Up Migration
-- Distributed mode (SPEC 14): the embedder the index records were built with (id and dimension), as
-- the embedded mode keeps it in the LanceDB table's schema. A process configured with another
-- embedder is refused (src/storage/pg/index-meta.ts); `npm run reindex -- --reset` replaces it.
CREATE TABLE index_meta (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  embedder_id text NOT NULL,
  dimension integer NOT NULL CHECK (dimension > 0)
);

-- Down Migration
DROP TABLE index_meta;
