-- The waitlist per show (seats/waitlist.ts) and the virtual waiting room (seats/waiting-room.ts).

-- One entry per buyer in a show's line for N seats, served in `seq` order. `offered`: a hold of N
-- seats was made for it (hold_id) with the short offer TTL; it ends `booked` (the hold confirmed)
-- or `lapsed` (the hold released or expired: the seats go to the next in line).
CREATE TABLE waitlist (
  id text PRIMARY KEY,
  show_id bigint NOT NULL REFERENCES shows (id),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  seats int NOT NULL CHECK (seats >= 1),
  category text,
  state text NOT NULL DEFAULT 'waiting'
    CHECK (state IN ('waiting', 'offered', 'booked', 'lapsed', 'left')),
  hold_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((state IN ('offered', 'booked', 'lapsed')) = (hold_id IS NOT NULL))
);
CREATE INDEX waitlist_line ON waitlist (show_id, seq) WHERE state = 'waiting';
CREATE INDEX waitlist_open ON waitlist (show_id) WHERE state IN ('waiting', 'offered');
CREATE UNIQUE INDEX waitlist_hold ON waitlist (hold_id) WHERE hold_id IS NOT NULL;

-- A ticket of a show's waiting room, admitted in `seq` order while fewer than the configured
-- number are admitted and unexpired. An admitted ticket lets its buyer hold seats until
-- admitted_until; leaving (DELETE) frees its place at once.
CREATE TABLE queue_tickets (
  id text PRIMARY KEY,
  show_id bigint NOT NULL REFERENCES shows (id),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'admitted', 'left')),
  admitted_at timestamptz,
  admitted_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_tickets_line ON queue_tickets (show_id, seq) WHERE state = 'waiting';
CREATE INDEX queue_tickets_admitted ON queue_tickets (show_id, admitted_until) WHERE state = 'admitted';
