-- Queue policies: what graphile-worker and pg-boss users set per queue.
-- - global_concurrency: jobs of the queue active at once across every process
--   (1 = a serial queue, graphile-worker's named queues, pg-boss's singleton
--   policy); NULL, the default, is no limit and keeps the plain fetch.
-- - max_attempts, backoff_base_ms/backoff_max_ms, retention_ms/dead_retention_ms:
--   the queue's defaults, over the process's JOBS_* settings (a job's own
--   maxAttempts and a task's own backoff still win).
-- - dead_letter: a queue that receives a copy of every job of this one that
--   dies after its last attempt (pg-boss's deadLetter).
-- And add_job()'s key_mode 'preserve_run_at' (graphile-worker's job_key_mode of
-- that name): a job added again with the key of a pending one updates it but
-- keeps its first run time, which throttles: at most one run per window
-- however often it is added.
ALTER TABLE queues
  ADD COLUMN global_concurrency int CHECK (global_concurrency BETWEEN 1 AND 10000),
  ADD COLUMN max_attempts int CHECK (max_attempts BETWEEN 1 AND 1000),
  ADD COLUMN backoff_base_ms int CHECK (backoff_base_ms BETWEEN 0 AND 86400000),
  ADD COLUMN backoff_max_ms int CHECK (backoff_max_ms BETWEEN 0 AND 86400000),
  ADD COLUMN retention_ms bigint CHECK (retention_ms BETWEEN 0 AND 31536000000),
  ADD COLUMN dead_retention_ms bigint CHECK (dead_retention_ms BETWEEN 0 AND 31536000000),
  ADD COLUMN dead_letter text REFERENCES queues (name) ON UPDATE CASCADE ON DELETE RESTRICT
    CHECK (dead_letter <> name);

-- The dead job a dead-letter copy was made from.
ALTER TABLE jobs ADD COLUMN dead_letter_of bigint;

-- The fetch of a queue with a global concurrency limit, in one round trip.
-- The queue row is locked first (FOR NO KEY UPDATE: enqueues take FOR KEY SHARE
-- and do not wait for it), so the fetches of that queue run one at a time; each
-- statement of a plpgsql function takes a fresh snapshot, so the count of
-- active jobs after the lock sees every activation committed before it. The
-- worker's unlimited fetch refuses a limited queue (worker.store.ts), so a
-- worker that has not yet re-read the settings cannot go past the limit.
-- Jobs in a worker's prefetch buffer are active, so they count.
CREATE FUNCTION fetch_limited(p_queue text, p_n int, p_worker text, p_lease_ms int)
RETURNS TABLE (id text, task text, payload jsonb, attempts int, max_attempts int, lease text,
               timeout_ms int, group_key text, traceparent text, has_children boolean,
               started_at timestamptz, run_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_cap int;
  v_free int;
BEGIN
  -- Like the worker's other writes: a lost fetch after a crash leaves the jobs waiting.
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT q.global_concurrency INTO v_cap FROM queues q
   WHERE q.name = p_queue AND NOT q.paused FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  v_free := p_n;
  IF v_cap IS NOT NULL THEN
    SELECT least(p_n, v_cap - count(*)) INTO v_free FROM jobs j WHERE j.queue = p_queue AND j.state = 'active';
  END IF;
  IF v_free <= 0 THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH next AS (
    SELECT j.id FROM jobs j
     WHERE j.queue = p_queue AND j.state IN ('waiting', 'failed') AND j.run_at <= now()
     ORDER BY j.priority DESC, j.run_at, j.id
     LIMIT v_free
     FOR UPDATE SKIP LOCKED
  )
  UPDATE jobs j
     SET state = 'active', attempts = j.attempts + 1, lease = j.lease + 1, locked_by = p_worker,
         locked_until = now() + p_lease_ms * interval '1 millisecond', started_at = now()
    FROM next
   WHERE j.id = next.id
  RETURNING j.id::text, j.task, j.payload, j.attempts, j.max_attempts, j.lease::text,
            j.timeout_ms, j.group_key, j.traceparent, j.has_children, j.started_at, j.run_at;
END
$$;

-- Copy dead jobs into their queue's dead-letter queue (those whose queue has one):
-- task, payload, priority, group and timeout; fresh attempts (the dead-letter
-- queue's max_attempts, else the job's), runnable now. Called in the transaction
-- that made them dead (a failed last attempt, a stalled one), so the copy exists
-- exactly when the death does. Returns the new jobs' ids.
CREATE FUNCTION dead_letter(p_ids bigint[], p_channel text)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  RETURN QUERY
  WITH copies AS (
    INSERT INTO jobs (queue, task, payload, priority, max_attempts, group_key, timeout_ms, traceparent,
                      dead_letter_of)
    SELECT dq.name, j.task, j.payload, j.priority, coalesce(dq.max_attempts, j.max_attempts), j.group_key,
           j.timeout_ms, j.traceparent, j.id
      FROM jobs j
      JOIN queues q ON q.name = j.queue
      JOIN queues dq ON dq.name = q.dead_letter
     WHERE j.id = ANY (p_ids) AND j.state = 'dead'
     ORDER BY j.id
       FOR KEY SHARE OF dq
    RETURNING jobs.id, jobs.queue
  ), woken AS (
    SELECT count(pg_notify(p_channel, w.queue)) AS n FROM (SELECT DISTINCT c.queue FROM copies c) w
  )
  SELECT c.id FROM copies c, woken;
END
$$;

-- add_job() with the queue's default max_attempts (max_attempts => NULL) and
-- key_mode 'preserve_run_at'. Same parameters as before, so existing callers
-- keep working; only max_attempts' default changes (25 -> the queue's, else 25).
DROP FUNCTION add_job(text, text, jsonb, timestamptz, int, int, text, text, text, int, bigint[], text, text, boolean);
CREATE FUNCTION add_job(
  queue text,
  task text,
  payload jsonb DEFAULT '{}',
  run_at timestamptz DEFAULT NULL,
  priority int DEFAULT 0,
  max_attempts int DEFAULT NULL,
  key text DEFAULT NULL,
  key_mode text DEFAULT 'replace',
  group_key text DEFAULT NULL,
  timeout_ms int DEFAULT NULL,
  depends_on bigint[] DEFAULT NULL,
  on_parent_failure text DEFAULT 'fail',
  traceparent text DEFAULT NULL,
  notify boolean DEFAULT true
) RETURNS TABLE (id bigint, state text, deduplicated boolean)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
-- Parameters share names with columns (queue, key, state...): inside SQL, a bare name is the column.
#variable_conflict use_column
DECLARE
  v_limit int;
  v_pending int := 0;
  v_dead bigint;
  v_state text;
  v_id bigint;
  v_existing boolean := false;
  v_found int;
  v_queue_max int;
  v_max int;
BEGIN
  IF task IS NULL OR length(task) = 0 OR length(task) > 100 THEN
    RAISE EXCEPTION 'task must be 1 to 100 characters' USING ERRCODE = '22023';
  END IF;
  SELECT l.max_payload_bytes INTO v_limit FROM limits l WHERE l.id = 1;
  IF octet_length(coalesce(payload, '{}')::text) > v_limit THEN
    RAISE EXCEPTION 'payload is % bytes, over the limit of % bytes', octet_length(payload::text), v_limit
      USING ERRCODE = '22023';
  END IF;
  IF max_attempts IS NOT NULL AND (max_attempts < 1 OR max_attempts > 1000) THEN
    RAISE EXCEPTION 'max_attempts must be between 1 and 1000' USING ERRCODE = '22023';
  END IF;
  IF key_mode IS NULL OR key_mode NOT IN ('replace', 'keep', 'preserve_run_at') THEN
    RAISE EXCEPTION 'key_mode must be replace, keep or preserve_run_at' USING ERRCODE = '22023';
  END IF;
  IF on_parent_failure NOT IN ('fail', 'release') THEN
    RAISE EXCEPTION 'on_parent_failure must be fail or release' USING ERRCODE = '22023';
  END IF;
  -- The queue must exist, and stay while this transaction inserts into it.
  SELECT q.max_attempts INTO v_queue_max FROM queues q WHERE q.name = add_job.queue FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'queue "%" does not exist', add_job.queue USING ERRCODE = '23503';
  END IF;
  v_max := coalesce(add_job.max_attempts, v_queue_max, 25);

  IF depends_on IS NOT NULL AND cardinality(depends_on) > 0 THEN
    -- FOR SHARE, in id order: a parent completing right now commits first, and a
    -- parent completing later sees our job_deps rows (no lost wake-up).
    SELECT count(*) INTO v_found FROM (
      SELECT j.id FROM jobs j WHERE j.id = ANY (depends_on) ORDER BY j.id FOR SHARE
    ) locked;
    IF v_found < (SELECT count(DISTINCT d) FROM unnest(depends_on) d) THEN
      RAISE EXCEPTION 'a job this one depends on does not exist' USING ERRCODE = 'P0002';
    END IF;
    SELECT count(*) FILTER (WHERE j.state NOT IN ('completed', 'dead', 'cancelled')),
           min(j.id) FILTER (WHERE j.state IN ('dead', 'cancelled'))
      INTO v_pending, v_dead
      FROM jobs j WHERE j.id = ANY (depends_on);
  END IF;

  IF v_dead IS NOT NULL AND on_parent_failure = 'fail' THEN
    v_state := 'dead';
  ELSIF v_pending > 0 THEN
    v_state := 'blocked';
  ELSE
    v_state := 'waiting';
  END IF;

  IF key IS NOT NULL AND v_state <> 'dead' THEN
    IF key_mode IN ('replace', 'preserve_run_at') THEN
      -- replace: debounce (the run time moves to the latest add); preserve_run_at: throttle
      -- (everything but the run time is updated, so the job runs at its first add's time).
      INSERT INTO jobs AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                             timeout_ms, state, pending_parents, on_parent_failure, traceparent)
      VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
              add_job.priority, v_max, add_job.key, add_job.group_key, add_job.timeout_ms,
              v_state, v_pending, add_job.on_parent_failure, add_job.traceparent)
      ON CONFLICT (queue, key) WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed')
      DO UPDATE SET task = EXCLUDED.task, payload = EXCLUDED.payload,
                    run_at = CASE WHEN add_job.key_mode = 'preserve_run_at' THEN j.run_at ELSE EXCLUDED.run_at END,
                    priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts,
                    group_key = EXCLUDED.group_key, timeout_ms = EXCLUDED.timeout_ms,
                    traceparent = EXCLUDED.traceparent
      RETURNING j.id, j.state, (j.xmax <> 0) INTO v_id, v_state, v_existing;
    ELSE
      INSERT INTO jobs AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                             timeout_ms, state, pending_parents, on_parent_failure, traceparent)
      VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
              add_job.priority, v_max, add_job.key, add_job.group_key, add_job.timeout_ms,
              v_state, v_pending, add_job.on_parent_failure, add_job.traceparent)
      ON CONFLICT (queue, key) WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed')
      DO UPDATE SET key = j.key
      RETURNING j.id, j.state, (j.xmax <> 0) INTO v_id, v_state, v_existing;
    END IF;
  ELSE
    INSERT INTO jobs AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                           timeout_ms, state, pending_parents, on_parent_failure, traceparent,
                           last_error, finished_at)
    VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
            add_job.priority, v_max, add_job.key, add_job.group_key, add_job.timeout_ms,
            v_state, v_pending, add_job.on_parent_failure, add_job.traceparent,
            CASE WHEN v_state = 'dead' THEN 'dependency ' || v_dead || ' failed' END,
            CASE WHEN v_state = 'dead' THEN now() END)
    RETURNING j.id INTO v_id;
  END IF;

  IF depends_on IS NOT NULL AND cardinality(depends_on) > 0 AND NOT v_existing THEN
    INSERT INTO job_deps (parent_id, child_id)
      SELECT DISTINCT d, v_id FROM unnest(depends_on) d ON CONFLICT DO NOTHING;
    UPDATE jobs p SET has_children = true WHERE p.id = ANY (depends_on) AND NOT p.has_children;
  END IF;

  IF v_state = 'waiting' AND add_job.notify THEN
    PERFORM pg_notify(current_schema() || '_jobs', add_job.queue);
  END IF;
  RETURN QUERY SELECT v_id, v_state, v_existing;
END
$$;
