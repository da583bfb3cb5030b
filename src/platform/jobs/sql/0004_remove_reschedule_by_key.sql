-- Remove or reschedule a pending job by its key, as graphile-worker's
-- remove_job() and reschedule_jobs() do: from any language, in the caller's
-- transaction, like add_job(). A key names at most one pending job of a queue
-- (waiting, scheduled, blocked or failed awaiting its retry: the jobs_key
-- index); a running or finished job no longer holds its key and is not
-- touched. Both return no row when no pending job has the key.
--
-- A job other jobs depend on is not removed (SQLSTATE 55000): its dependents
-- would wait for it forever. Cancel it instead (POST /jobs/jobs/{id}/cancel),
-- and its dependents follow their on_parent_failure policy.

CREATE FUNCTION remove_job(queue text, key text)
RETURNS TABLE (id bigint, state text, task text, run_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_id bigint;
  v_state text;
  v_task text;
  v_children boolean;
  v_run_at timestamptz;
BEGIN
  SELECT j.id, j.state, j.task, j.has_children, j.run_at INTO v_id, v_state, v_task, v_children, v_run_at
    FROM jobs j
   WHERE j.queue = remove_job.queue AND j.key = remove_job.key AND j.state IN ('waiting', 'blocked', 'failed')
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_children AND EXISTS (SELECT 1 FROM job_deps d WHERE d.parent_id = v_id) THEN
    RAISE EXCEPTION 'job % has jobs that depend on it; cancel it instead', v_id USING ERRCODE = '55000';
  END IF;
  DELETE FROM jobs j WHERE j.id = v_id;
  RETURN QUERY SELECT v_id, v_state, v_task, v_run_at;
END
$$;

-- New run time, priority and attempts of the pending job with this key (NULL: unchanged);
-- returns them as new_run_at, new_priority, new_max_attempts.
-- A job made runnable now wakes the workers when the transaction commits.
CREATE FUNCTION reschedule_job(
  queue text,
  key text,
  run_at timestamptz DEFAULT NULL,
  priority int DEFAULT NULL,
  max_attempts int DEFAULT NULL
) RETURNS TABLE (id bigint, state text, new_run_at timestamptz, new_priority int, new_max_attempts int)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
BEGIN
  IF reschedule_job.max_attempts IS NOT NULL AND (reschedule_job.max_attempts < 1 OR reschedule_job.max_attempts > 1000) THEN
    RAISE EXCEPTION 'max_attempts must be between 1 and 1000' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  UPDATE jobs j
     SET run_at = coalesce(reschedule_job.run_at, j.run_at),
         priority = coalesce(reschedule_job.priority, j.priority),
         -- Never below the attempts already made: the job keeps at least one more.
         max_attempts = greatest(coalesce(reschedule_job.max_attempts, j.max_attempts), j.attempts + 1)
   WHERE j.queue = reschedule_job.queue AND j.key = reschedule_job.key
     AND j.state IN ('waiting', 'blocked', 'failed')
  RETURNING j.id, j.state, j.run_at, j.priority, j.max_attempts;
  IF FOUND THEN
    PERFORM pg_notify(current_schema() || '_jobs', reschedule_job.queue);
  END IF;
END
$$;
