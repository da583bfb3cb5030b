-- Collaborative card descriptions (Yjs). A document is the merge of its updates: every update a
-- client sends is appended here before it is applied and passed on, and compaction replaces a
-- document's rows by their merge (one row) in one transaction. Merging is commutative and
-- idempotent, so rows appended by several nodes in any order make the same document.
CREATE TABLE yjs_updates (
  doc text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  update bytea NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (doc, seq)
);
