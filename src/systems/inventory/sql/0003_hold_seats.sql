-- The pessimistic strategy's hold of named seats as one call (README, "The hot row"): the seat ids
-- resolved, the seats locked in seat order and checked, claimed, the hold and its `held` change
-- inserted and its expiry job enqueued, all in the one statement `SELECT * FROM hold_seats(...)`,
-- which is its own transaction: one round trip per hold instead of six (the ids, BEGIN, the
-- claim, the hold, the job, COMMIT). Under load each round trip waits for a busy database
-- backend to be scheduled, so it is the round trips, not the work, that a hold pays for.
--
-- The job goes through the job engine's own add_job() (its SQL API, any caller's schema may call
-- it), without a NOTIFY: a notifying transaction holds a database-wide lock from its commit until
-- the commit is flushed, which would make every hold commit alone; the job is due at the hold's
-- expiry, and the workers' poll finds delayed jobs.
--
-- Returns one row: outcome 'held' (seats in seat order, expires_at), 'taken' (the taken seats, in
-- seat order; nothing written), 'unknown' (the seat ids the venue does not have, in the order
-- asked), or 'no-show'.
CREATE FUNCTION hold_seats(
  p_show bigint,
  p_seat_ids text[],
  p_hold text,
  p_ttl_seconds int,
  p_jobs_schema text,
  p_queue text,
  p_task text,
  p_job_key text
) RETURNS TABLE (outcome text, seats text[], expires_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
-- A bare name in SQL is the column (the OUT parameters share names with holds' columns).
#variable_conflict use_column
DECLARE
  v_venue bigint;
  v_nos int[];
  v_ids text[];
  v_taken int[];
  v_until timestamptz;
BEGIN
  SELECT sh.venue_id INTO v_venue FROM shows sh WHERE sh.id = p_show;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no-show'::text, NULL::text[], NULL::timestamptz;
    RETURN;
  END IF;
  SELECT array_agg(vs.seat_no ORDER BY vs.seat_no), array_agg(vs.seat_id ORDER BY vs.seat_no)
    INTO v_nos, v_ids
    FROM venue_seats vs WHERE vs.venue_id = v_venue AND vs.seat_id = ANY (p_seat_ids);
  IF coalesce(cardinality(v_nos), 0) < cardinality(p_seat_ids) THEN
    RETURN QUERY SELECT 'unknown'::text,
      ARRAY(SELECT s.id FROM unnest(p_seat_ids) WITH ORDINALITY AS s(id, i)
             WHERE s.id <> ALL (coalesce(v_ids, '{}')) ORDER BY s.i),
      NULL::timestamptz;
    RETURN;
  END IF;
  -- Locked in seat order (the sort under FOR UPDATE), every one before any is written.
  SELECT array_agg(l.seat_no ORDER BY l.seat_no) FILTER (WHERE NOT l.available) INTO v_taken
    FROM (SELECT ss.seat_no, (ss.state = 'free' OR (ss.state = 'held' AND ss.held_until <= now())) AS available
            FROM show_seats ss WHERE ss.show_id = p_show AND ss.seat_no = ANY (v_nos)
           ORDER BY ss.seat_no FOR UPDATE) l;
  IF v_taken IS NOT NULL THEN
    RETURN QUERY SELECT 'taken'::text,
      ARRAY(SELECT vs.seat_id FROM venue_seats vs WHERE vs.venue_id = v_venue AND vs.seat_no = ANY (v_taken)
             ORDER BY vs.seat_no),
      NULL::timestamptz;
    RETURN;
  END IF;
  v_until := now() + make_interval(secs => p_ttl_seconds);
  UPDATE show_seats ss SET state = 'held', hold_id = p_hold, held_until = v_until, version = ss.version + 1
   WHERE ss.show_id = p_show AND ss.seat_no = ANY (v_nos);
  INSERT INTO holds (id, show_id, seat_nos, expires_at) VALUES (p_hold, p_show, v_nos, v_until);
  INSERT INTO seat_changes (show_id, state, seat_nos, hold_id, reason) VALUES (p_show, 'held', v_nos, p_hold, 'held');
  EXECUTE format('SELECT 1 FROM %I.add_job(queue => $1, task => $2, payload => $3, run_at => $4, key => $5, notify => false)',
                 p_jobs_schema)
    USING p_queue, p_task, jsonb_build_object('hold', p_hold), v_until, p_job_key;
  RETURN QUERY SELECT 'held'::text, v_ids, v_until;
END
$$;
