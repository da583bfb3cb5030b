-- Lifecycle events on the Bus, through the transactional outbox (the platform's
-- `outbox` table in this schema, relayed by src/platform/bus/outbox.ts): an
-- event row is written by the statement that changes the job's state, so it
-- is published if and only if that change commits, whichever path made it
-- (a worker, the pull API, the REST API, the stalled-job sweep, a SQL caller).
--
-- Subjects: jobs.job.completed, jobs.job.failed (an attempt failed, a retry is
-- due at runAt), jobs.job.dead, jobs.job.cancelled, jobs.job.removed. Which are
-- written is limits.events, set at boot from JOBS_EVENTS.
--
-- One trigger call per UPDATE statement, not per row: a batch of 50 completions
-- writes its 50 events with one INSERT ... SELECT over the statement's
-- transition tables. Statements that change no state (heartbeats, progress)
-- insert nothing.
ALTER TABLE limits ADD COLUMN events text[] NOT NULL
  DEFAULT ARRAY['completed', 'failed', 'dead', 'cancelled', 'removed'];

-- The event document of a job row (payload of every jobs.job.* subject).
CREATE FUNCTION job_event(j jobs, kind text) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT jsonb_build_object(
    'id', j.id::text, 'queue', j.queue, 'task', j.task, 'state', kind,
    'attempt', j.attempts, 'maxAttempts', j.max_attempts,
    'key', j.key, 'groupKey', j.group_key,
    'runAt', j.run_at, 'finishedAt', j.finished_at,
    'error', CASE WHEN kind IN ('failed', 'dead', 'cancelled') THEN j.last_error END,
    'result', CASE WHEN kind = 'completed' THEN j.result END,
    'at', now())
$$;

CREATE FUNCTION jobs_state_events() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_events text[];
  v_n int;
BEGIN
  -- A schema migrated without the outbox (a bare worker fixture) writes no events.
  IF to_regclass('outbox') IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT l.events INTO v_events FROM limits l WHERE l.id = 1;
  IF v_events IS NULL OR cardinality(v_events) = 0 THEN
    RETURN NULL;
  END IF;
  INSERT INTO outbox (subject, payload, msg_id)
  SELECT 'jobs.job.' || n.state, job_event(n, n.state), gen_random_uuid()::text
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE n.state IS DISTINCT FROM o.state AND n.state = ANY (v_events)
   ORDER BY n.id;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    PERFORM pg_notify(current_schema() || '_outbox', NULL);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_state_events AFTER UPDATE ON jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION jobs_state_events();

-- remove_job() as in 0004, announcing the removal (a DELETE is also how retention
-- prunes finished jobs, which are not events, so no trigger on DELETE).
CREATE OR REPLACE FUNCTION remove_job(queue text, key text)
RETURNS TABLE (id bigint, state text, task text, run_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_job jobs;
  v_events text[];
BEGIN
  SELECT * INTO v_job FROM jobs j
   WHERE j.queue = remove_job.queue AND j.key = remove_job.key AND j.state IN ('waiting', 'blocked', 'failed')
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_job.has_children AND EXISTS (SELECT 1 FROM job_deps d WHERE d.parent_id = v_job.id) THEN
    RAISE EXCEPTION 'job % has jobs that depend on it; cancel it instead', v_job.id USING ERRCODE = '55000';
  END IF;
  DELETE FROM jobs j WHERE j.id = v_job.id;
  SELECT l.events INTO v_events FROM limits l WHERE l.id = 1;
  IF to_regclass('outbox') IS NOT NULL AND 'removed' = ANY (v_events) THEN
    INSERT INTO outbox (subject, payload, msg_id)
      VALUES ('jobs.job.removed', job_event(v_job, 'removed'), gen_random_uuid()::text);
    PERFORM pg_notify(current_schema() || '_outbox', NULL);
  END IF;
  RETURN QUERY SELECT v_job.id, v_job.state, v_job.task, v_job.run_at;
END
$$;
