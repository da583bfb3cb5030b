-- Lifecycle events of many jobs changed by one statement go out as one outbox
-- row per subject (a batch row, the outbox's sql/0002: the relay publishes one
-- message per element, msgId `<msg_id>:<i>`), instead of one row per job; a
-- statement that changes one job still writes one plain row. The worker's
-- completions change hundreds of jobs per statement: measured in the backend's
-- CPU time, an event row (its heap row, two index entries, a uuid) cost ~4 us
-- per job of the ~35 us the database spends on one.
--
-- The document is built as a record (job_event_record) so that a batch is
-- to_jsonb() of an array of records, ~0.5 us per element more than one
-- document alone; an array of jsonb documents converted to jsonb cost ~4 us
-- per element more.
CREATE FUNCTION job_event_record(id bigint, queue text, task text, kind text, attempts int, max_attempts int,
                                 key text, group_key text, run_at timestamptz, finished_at timestamptz,
                                 last_error text, result jsonb)
RETURNS job_event_doc LANGUAGE sql STABLE
AS $$
  SELECT ROW(id::text, queue, task, kind, attempts, max_attempts, key, group_key, run_at, finished_at,
             CASE WHEN kind IN ('failed', 'dead', 'cancelled') THEN last_error END,
             CASE WHEN kind = 'completed' THEN result END, now())::job_event_doc
$$;

CREATE OR REPLACE FUNCTION job_event(id bigint, queue text, task text, kind text, attempts int, max_attempts int,
                                     key text, group_key text, run_at timestamptz, finished_at timestamptz,
                                     last_error text, result jsonb)
RETURNS jsonb LANGUAGE sql STABLE
AS $$
  SELECT to_jsonb(job_event_record(id, queue, task, kind, attempts, max_attempts, key, group_key, run_at,
                                   finished_at, last_error, result))
$$;

CREATE OR REPLACE FUNCTION jobs_state_events() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_events text[];
  v_n int;
BEGIN
  -- A schema migrated without the outbox writes no events.
  IF to_regclass('outbox') IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT l.events INTO v_events FROM limits l WHERE l.id = 1;
  IF v_events IS NULL OR cardinality(v_events) = 0 THEN
    RETURN NULL;
  END IF;
  INSERT INTO outbox (subject, payload, msg_id, batch)
  SELECT 'jobs.job.' || e.state,
         CASE WHEN count(*) = 1 THEN to_jsonb((array_agg(e.doc))[1]) ELSE to_jsonb(array_agg(e.doc ORDER BY e.id)) END,
         gen_random_uuid()::text,
         count(*) > 1
    FROM (SELECT n.id, n.state,
                 job_event_record(n.id, n.queue, n.task, n.state, n.attempts, n.max_attempts, n.key, n.group_key,
                                  n.run_at, n.finished_at, n.last_error, n.result) AS doc
            FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE n.state IS DISTINCT FROM o.state AND n.state = ANY (v_events)) e
   GROUP BY e.state;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    PERFORM pg_notify(current_schema() || '_outbox', NULL);
  END IF;
  RETURN NULL;
END
$$;
