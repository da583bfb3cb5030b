-- The visits journal of the embedded database (visits.journal.ts): on PGlite a flush writes all of
-- its visits as one row here, and a roll-up moves them into visit_buckets and the counters every
-- few seconds (and before anything reads visits), then empties the table. On PostgreSQL flushes
-- write buckets directly and this table stays empty.
CREATE TABLE visit_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  n integer NOT NULL CHECK (n > 0),
  -- Text, not json: only this process reads it back, and PostgreSQL need not parse it on the way in.
  visits text NOT NULL
);
-- A batch is a few hundred kB that is read once: stored out of line uncompressed (compressing it
-- cost PGlite three times what it saved).
ALTER TABLE visit_batches ALTER COLUMN visits SET STORAGE EXTERNAL;
