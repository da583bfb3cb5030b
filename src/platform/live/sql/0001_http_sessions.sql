-- The SSE and long-poll sessions of the platform's live endpoint on every node (session-registry.ts),
-- so that a request for a session may land on any node. `node` holds the stream or poll queue now;
-- `gen` grows by one each time another node takes the session over, and a node writes only while
-- `gen` is still its own. A long-poll session keeps its last answer's position (`seq`, and `rooms`:
-- stream -> last offset in it; the name is chat's, whose endpoint has the same table) and the one
-- before (`prev_*`): the next poll acknowledges one of the two, and the node it lands on delivers
-- from there. Rows not seen for twice the idle time (a killed node's) are deleted.
CREATE TABLE http_sessions (
  id text PRIMARY KEY,
  user_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('sse', 'poll')),
  protocol int NOT NULL,
  node text NOT NULL,
  gen bigint NOT NULL DEFAULT 0,
  seq bigint NOT NULL DEFAULT 0,
  rooms jsonb NOT NULL DEFAULT '{}',
  prev_seq bigint NOT NULL DEFAULT 0,
  prev_rooms jsonb NOT NULL DEFAULT '{}',
  last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX http_sessions_last_seen ON http_sessions (last_seen);
