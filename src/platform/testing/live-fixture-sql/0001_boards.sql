-- The live library's test fixture: a board is a stream, its events a table read by offset.
-- `last_offset` is the counter row: an event's transaction locks it and takes the next offset.
CREATE TABLE boards (
  id bigint PRIMARY KEY,
  owner text NOT NULL,
  private boolean NOT NULL DEFAULT false,
  last_offset bigint NOT NULL DEFAULT 0
);
CREATE TABLE board_events (
  board_id bigint NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  note text NOT NULL,
  by_user text NOT NULL,
  PRIMARY KEY (board_id, "offset")
);
