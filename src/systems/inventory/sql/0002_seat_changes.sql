-- The live seat map's offsets leave the hold's transaction (README, "The hot row").
--
-- Before: every change of a show's seats took `shows.last_offset` (UPDATE ... + 1) for the next
-- dense offset, and kept that row lock until its commit had flushed: the holds of one show
-- committed one at a time, whatever seats they took (about 50 holds/s on the bench's hot map).
--
-- Now a change only appends a row here (an identity value: no lock anyone else waits for), and
-- the sequencer (seats/sequencer.ts) moves committed changes into `seat_events` in batches, in
-- id order, giving them the show's next offsets under `shows.last_offset`. It is one writer at a
-- time (a transaction advisory lock), so a batch's offsets follow the previous batch's.
--
-- Order per seat is kept: a change of a seat is inserted after its transaction locked the seat's
-- row, so a later change of that seat (which waited for the earlier one's commit) has a larger id
-- and is visible to no snapshot that misses the earlier one.
--
-- No foreign key to shows: its check would take a KEY SHARE lock on the show's row in every hold
-- (a multixact shared by every buyer of the show); the show's seats, locked by the same
-- transaction, already prove the show exists.
CREATE TABLE seat_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  show_id bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('free', 'held', 'sold')),
  seat_nos int[] NOT NULL,
  hold_id text,
  reason text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

-- The same reasoning for holds: its show is proven by the seats the hold locks.
ALTER TABLE holds DROP CONSTRAINT holds_show_id_fkey;
