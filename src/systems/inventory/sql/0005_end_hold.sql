-- The end of a hold (release by the buyer, or its expiry job) as one call, for the same reason
-- as hold_seats() (sql/0003): in the bench's steady state every hold also ends, and the end was
-- seven round trips (BEGIN, the hold locked, its seats locked, freed, the hold ended, the change,
-- COMMIT). Same locks in the same order as before: the hold's row, then its seats in seat order.
--
-- Returns one row: outcome 'not-found', 'confirmed' (order_id), 'ended' (it already was: nothing
-- done), 'early' (the job ran before the hold's expiry, by another node's clock: enqueued again
-- for expires_at), or 'done' (final state, and the seats freed: those still carrying this hold).
CREATE FUNCTION end_hold(
  p_hold text,
  p_state text,
  p_by_job boolean,
  p_jobs_schema text,
  p_queue text,
  p_task text,
  p_job_key text
) RETURNS TABLE (outcome text, final text, freed int[], order_id text, expires_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  h holds%ROWTYPE;
  v_lapsed boolean;
  v_final text;
  v_freed int[];
BEGIN
  SELECT * INTO h FROM holds WHERE id = p_hold FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not-found'::text, NULL::text, NULL::int[], NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF h.state = 'confirmed' THEN
    RETURN QUERY SELECT 'confirmed'::text, h.state, NULL::int[], h.order_id, h.expires_at;
    RETURN;
  END IF;
  IF h.state <> 'active' THEN
    RETURN QUERY SELECT 'ended'::text, h.state, NULL::int[], NULL::text, h.expires_at;
    RETURN;
  END IF;
  v_lapsed := h.expires_at <= now();
  IF p_by_job AND NOT v_lapsed THEN
    EXECUTE format('SELECT 1 FROM %I.add_job(queue => $1, task => $2, payload => $3, run_at => $4, key => $5, notify => false)',
                   p_jobs_schema)
      USING p_queue, p_task, jsonb_build_object('hold', p_hold), h.expires_at, p_job_key;
    RETURN QUERY SELECT 'early'::text, NULL::text, NULL::int[], NULL::text, h.expires_at;
    RETURN;
  END IF;
  -- A buyer releasing a lapsed hold ends it as expired: that is what happened to it.
  v_final := CASE WHEN v_lapsed THEN 'expired' ELSE p_state END;
  PERFORM 1 FROM show_seats ss WHERE ss.show_id = h.show_id AND ss.seat_no = ANY (h.seat_nos)
    ORDER BY ss.seat_no FOR UPDATE;
  WITH f AS (
    UPDATE show_seats ss SET state = 'free', hold_id = NULL, held_until = NULL, version = ss.version + 1
     WHERE ss.show_id = h.show_id AND ss.seat_no = ANY (h.seat_nos) AND ss.hold_id = p_hold AND ss.state = 'held'
    RETURNING ss.seat_no)
  SELECT array_agg(f.seat_no ORDER BY f.seat_no) INTO v_freed FROM f;
  UPDATE holds SET state = v_final, ended_at = now() WHERE id = p_hold;
  IF NOT p_by_job THEN
    EXECUTE format('SELECT 1 FROM %I.remove_job($1, $2)', p_jobs_schema) USING p_queue, p_job_key;
  END IF;
  IF v_freed IS NOT NULL THEN
    INSERT INTO seat_changes (show_id, state, seat_nos, hold_id, reason) VALUES (h.show_id, 'free', v_freed, p_hold, v_final);
  END IF;
  RETURN QUERY SELECT 'done'::text, v_final, coalesce(v_freed, '{}'), NULL::text, h.expires_at;
END
$$;
