-- Seats (BookMyShow): venues with seat maps, shows with their own seat states, holds, orders,
-- and each show's seat-state events (the live seat map's history, read by offset).

CREATE TABLE venues (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  seat_count int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A venue's seats. `seat_no` is the seat's place in the venue's fixed order (sections, rows and
-- numbers as the venue lists them): every transaction that locks several seats locks them in
-- this order, so two of them never wait for each other in a cycle.
CREATE TABLE venue_seats (
  venue_id bigint NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
  seat_no int NOT NULL,
  seat_id text NOT NULL,             -- <section>-<row>-<number>
  section text NOT NULL,
  row_name text NOT NULL,
  number int NOT NULL,
  section_index int NOT NULL,        -- 0 = listed first = best
  row_index int NOT NULL,            -- within its section, 0 = best
  row_size int NOT NULL,             -- seats in the row (its centre is the best place)
  category text NOT NULL,
  price bigint NOT NULL,             -- minor units
  accessible boolean NOT NULL,
  PRIMARY KEY (venue_id, seat_no),
  UNIQUE (venue_id, seat_id)
);

-- `last_offset` is the counter row of the show's seat-event stream: a transaction that writes an
-- event updates it last (after the seats), takes the next offset and commits.
CREATE TABLE shows (
  id bigserial PRIMARY KEY,
  venue_id bigint NOT NULL REFERENCES venues (id),
  starts_at timestamptz NOT NULL,
  last_offset bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A show's seats: the rows the reservation strategies lock (pessimistic) or version-check
-- (optimistic). `held_until` repeats the hold's expiry on the row, so "is this seat taken?" is
-- answered from the row alone: a held seat whose time is up is free, whether or not the expiry job
-- has run yet.
CREATE TABLE show_seats (
  show_id bigint NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
  seat_no int NOT NULL,
  state text NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'held', 'sold')),
  hold_id text,
  held_until timestamptz,
  version int NOT NULL DEFAULT 0,
  PRIMARY KEY (show_id, seat_no),
  CHECK ((state = 'free') = (hold_id IS NULL)),
  CHECK ((state = 'held') = (held_until IS NOT NULL))
);

-- Hold: active -> confirmed | released | expired (README, state machines).
CREATE TABLE holds (
  id text PRIMARY KEY,
  show_id bigint NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
  seat_nos int[] NOT NULL,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'confirmed', 'released', 'expired')),
  expires_at timestamptz NOT NULL,
  order_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX holds_active_expiry ON holds (expires_at) WHERE state = 'active';

CREATE TABLE orders (
  id text PRIMARY KEY,
  hold_id text NOT NULL UNIQUE REFERENCES holds (id),
  show_id bigint NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
  seat_nos int[] NOT NULL,
  amount bigint NOT NULL,
  payment text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The live seat map's history: one row per change of some seats' state, dense offsets per show.
CREATE TABLE seat_events (
  show_id bigint NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('free', 'held', 'sold')),
  seat_ids text[] NOT NULL,
  hold_id text,
  reason text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (show_id, "offset")
);

-- The SSE and long-poll sessions of the seat map's live endpoint (/inventory/live), shared by
-- every node (platform/live's session registry; the same table as platform/live/sql/0001).
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
