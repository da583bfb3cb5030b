-- Board: the write side is one table, `events`, the log every screen is a projection of.
-- One stream per board (`board_id`, `version` 1, 2, 3, ... dense); a global `position`.
-- Optimistic concurrency is the unique key (board_id, version): two commands that read the
-- same version both try to insert version+1, and the second one's INSERT fails. That also makes
-- the versions dense in commit order (the writer of N+1 read N committed), which is what the
-- live streams' resume needs. The position (a sequence) is NOT in commit order across
-- transactions: readers of the whole log (projectors) order by the writing transaction's id and
-- read only transactions older than every running one (see projection/reader.ts).

-- Development issuer's signing key (the same on every node, across restarts).
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction: projectors read in (tx, position) order, only finished transactions.
  tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  board_id text NOT NULL,
  version bigint NOT NULL CHECK (version >= 1),
  type text NOT NULL,
  -- The event's schema version; old versions are upcast when read (events/upcast.ts).
  schema_version int NOT NULL,
  data jsonb NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_version UNIQUE (board_id, version)
);
CREATE INDEX events_tx_position ON events (tx, position);

-- The log is immutable: an UPDATE or DELETE of an event fails.
CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'board events are immutable (% refused)', TG_OP;
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_immutable();

-- Commands by idempotency key: a retried command (same key) answers what the first one wrote.
CREATE TABLE commands (
  command_id text PRIMARY KEY,
  board_id text NOT NULL,
  version bigint NOT NULL,
  position bigint NOT NULL,
  result jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

-- Which board a list or card belongs to, written with the event that created it, so that
-- `POST /lists/{id}/cards` and `POST /cards/{id}/move` find their stream.
CREATE TABLE entities (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('list', 'card')),
  board_id text NOT NULL
);

-- Aggregate snapshots: the state of a board at a version, so loading a long stream reads
-- the snapshot and the events after it. A cache: deleting every row changes nothing but speed.
CREATE TABLE snapshots (
  board_id text PRIMARY KEY,
  version bigint NOT NULL,
  state jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

-- Read side. Each projector keeps its checkpoint here, updated in the transaction that applies
-- the events it covers: a projector that restarts resumes exactly after the last applied event.
CREATE TABLE checkpoints (
  name text PRIMARY KEY,
  tx xid8 NOT NULL DEFAULT '0',
  position bigint NOT NULL DEFAULT 0,
  events bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO checkpoints (name) VALUES ('views');

-- The views (projection/views.ts). A rebuild creates the same tables with a suffix, fills them
-- from zero and swaps them in (projection/rebuild.ts).
CREATE TABLE board_view (
  board_id text PRIMARY KEY,
  name text NOT NULL,
  owner text NOT NULL,
  members text[] NOT NULL,
  archived boolean NOT NULL DEFAULT false,
  version bigint NOT NULL,
  position bigint NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE list_view (
  list_id text PRIMARY KEY,
  board_id text NOT NULL,
  name text NOT NULL,
  rank text COLLATE "C" NOT NULL,
  archived boolean NOT NULL DEFAULT false
);
CREATE INDEX list_view_board ON list_view (board_id, rank);

CREATE TABLE card_view (
  card_id text PRIMARY KEY,
  board_id text NOT NULL,
  list_id text NOT NULL,
  title text NOT NULL,
  rank text COLLATE "C" NOT NULL,
  archived boolean NOT NULL DEFAULT false,
  labels text[] NOT NULL DEFAULT '{}',
  assignees text[] NOT NULL DEFAULT '{}',
  due_at timestamptz,
  checklist jsonb NOT NULL DEFAULT '[]',
  comments jsonb NOT NULL DEFAULT '[]',
  attachments jsonb NOT NULL DEFAULT '[]',
  version bigint NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  search tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX card_view_list ON card_view (list_id, rank);
CREATE INDEX card_view_board ON card_view (board_id);
CREATE INDEX card_view_assignees ON card_view USING gin (assignees);
CREATE INDEX card_view_search ON card_view USING gin (search);

-- Activity: one row per event, per board and card, newest first by position.
CREATE TABLE activity_view (
  position bigint PRIMARY KEY,
  board_id text NOT NULL,
  card_id text,
  version bigint NOT NULL,
  type text NOT NULL,
  actor text NOT NULL,
  data jsonb NOT NULL,
  mentions text[] NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL
);
CREATE INDEX activity_view_board ON activity_view (board_id, version DESC);
CREATE INDEX activity_view_card ON activity_view (card_id, version DESC) WHERE card_id IS NOT NULL;
CREATE INDEX activity_view_mentions ON activity_view USING gin (mentions);
