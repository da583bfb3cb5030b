-- Completed jobs leave the hot table. `jobs` becomes a table partitioned by
-- state: `jobs_open` holds every job not completed (waiting, blocked, active,
-- failed, dead, cancelled), `jobs_done` the completed ones. Readers (the API,
-- counts, retention, DAG parents, SQL callers) keep reading and writing `jobs`,
-- which is both; the worker's hot statements name the partition they touch:
-- - the fetch updates `jobs_open` in place (waiting -> active);
-- - a completion DELETEs the active row from `jobs_open` and INSERTs the
--   completed one into `jobs_done` in one statement (worker.store.ts), and
--   writes its `jobs.job.completed` events itself. An explicit delete, not a
--   cross-partition UPDATE: a statement waiting on that row (a heartbeat, a
--   cancel, the sweep) then finds it gone and skips it, where a row moved by
--   an UPDATE would fail it with "tuple to be locked was already moved to
--   another partition" (SQLSTATE 40001).
-- Why: measured per job in the backend's CPU time (500-job statements, 300,000
-- completed jobs in the table), the completion cost 9.4 us as an UPDATE and
-- 6.6 us as this move (no new version, no index entry in the hot table; one
-- heap row and one primary key entry in `jobs_done`, its BRIN index on
-- finished_at costs next to nothing), the enqueue 7.7 us -> 6.3 us (waiting
-- jobs no longer get a `jobs_open` index entry), and the VACUUM the hot table
-- needs 2.0 us -> 0.6 us (its indexes hold the open jobs only, not a day of
-- completed ones, and `jobs_done` takes no dead rows from the hot path).
-- Dead and cancelled jobs stay in `jobs_open`: they are few, and a redrive
-- brings them back to `waiting` without moving them.
--
-- Foreign keys to a partitioned table need a unique key that includes the
-- partition key, so job_deps and job_errors lose theirs (and their cascade):
-- pruning and remove_job() delete a job's dependency and error rows
-- themselves. Likewise the cron ticks' unique index holds for pending jobs
-- (`jobs_open`); the scheduler also enqueues only ticks after the schedule's
-- last_tick, read under the schedule's row lock (scheduler.ts).
--
-- Every row is copied into the new table (a data folder migrated from the old
-- layout keeps its completed jobs readable, by the same ids).

DROP TRIGGER jobs_state_events ON jobs;
ALTER TABLE job_deps DROP CONSTRAINT job_deps_parent_id_fkey, DROP CONSTRAINT job_deps_child_id_fkey;
ALTER TABLE job_errors DROP CONSTRAINT job_errors_job_id_fkey;
DROP FUNCTION job_event(jobs, text);
ALTER TABLE jobs RENAME TO jobs_before_0010;
ALTER TABLE jobs_before_0010 RENAME CONSTRAINT jobs_pkey TO jobs_before_0010_pkey;
DROP INDEX jobs_fetch, jobs_finished, jobs_key, jobs_open, jobs_tick;
ALTER SEQUENCE jobs_id_seq RENAME TO jobs_before_0010_id_seq;

-- A plain sequence rather than an identity column: PostgreSQL 15 gives a
-- partition no identity of its own, 17 and later share the parent's, and both
-- must insert into `jobs_open` directly (add_job()'s ON CONFLICT needs the
-- partition's unique index) and copy ids into `jobs_done`.
CREATE SEQUENCE jobs_id_seq;
CREATE TABLE jobs (
  id bigint NOT NULL DEFAULT nextval('jobs_id_seq'),
  queue text NOT NULL,
  task text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL DEFAULT 'waiting'
    CHECK (state IN ('waiting', 'blocked', 'active', 'failed', 'completed', 'dead', 'cancelled')),
  priority int NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 25 CHECK (max_attempts BETWEEN 1 AND 1000),
  timeout_ms int CHECK (timeout_ms > 0),
  key text,
  group_key text,
  lease bigint NOT NULL DEFAULT 0,
  locked_by text,
  locked_until timestamptz,
  stalls int NOT NULL DEFAULT 0,
  pending_parents int NOT NULL DEFAULT 0,
  on_parent_failure text NOT NULL DEFAULT 'fail' CHECK (on_parent_failure IN ('fail', 'release')),
  has_children boolean NOT NULL DEFAULT false,
  progress jsonb,
  result jsonb,
  last_error text,
  traceparent text,
  schedule text,
  tick timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  dead_letter_of bigint
) PARTITION BY LIST (state);
ALTER SEQUENCE jobs_id_seq OWNED BY jobs.id;

CREATE TABLE jobs_open PARTITION OF jobs
  FOR VALUES IN ('waiting', 'blocked', 'active', 'failed', 'dead', 'cancelled');
CREATE TABLE jobs_done PARTITION OF jobs FOR VALUES IN ('completed');
ALTER TABLE jobs_open ALTER COLUMN id SET DEFAULT nextval('jobs_id_seq');

ALTER TABLE jobs_open ADD CONSTRAINT jobs_open_pkey PRIMARY KEY (id);
-- The fetch: runnable jobs of a queue in priority order.
CREATE INDEX jobs_fetch ON jobs_open (queue, priority DESC, run_at, id) WHERE state IN ('waiting', 'failed');
-- Dedupe / debounce: one pending job per (queue, key).
CREATE UNIQUE INDEX jobs_key ON jobs_open (queue, key)
  WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed');
-- Each cron tick once among pending jobs (and scheduler.ts never goes back past last_tick).
CREATE UNIQUE INDEX jobs_tick ON jobs_open (schedule, tick) WHERE schedule IS NOT NULL;
-- Listing and counting by queue and state, a queue's active jobs, the stalled-job sweep.
-- Waiting jobs, the bulk of a backlog, are not in it (the fetch index and the key serve
-- them), so an enqueue writes one index entry fewer.
CREATE INDEX jobs_states ON jobs_open (state, queue, id) WHERE state <> 'waiting';
-- Retention of dead and cancelled jobs.
CREATE INDEX jobs_open_finished ON jobs_open (finished_at) WHERE state IN ('dead', 'cancelled');

ALTER TABLE jobs_done ADD CONSTRAINT jobs_done_pkey PRIMARY KEY (id);
-- Retention of completed jobs: rows arrive in finished_at order, so a block
-- range index finds the old ones at a fraction of a B-tree's upkeep.
CREATE INDEX jobs_done_finished ON jobs_done USING brin (finished_at);

INSERT INTO jobs (id, queue, task, payload, state, priority, run_at, attempts, max_attempts, timeout_ms,
                  key, group_key, lease, locked_by, locked_until, stalls, pending_parents, on_parent_failure,
                  has_children, progress, result, last_error, traceparent, schedule, tick, created_at,
                  started_at, finished_at, dead_letter_of)
SELECT id, queue, task, payload, state, priority, run_at, attempts, max_attempts, timeout_ms,
       key, group_key, lease, locked_by, locked_until, stalls, pending_parents, on_parent_failure,
       has_children, progress, result, last_error, traceparent, schedule, tick, created_at,
       started_at, finished_at, dead_letter_of
  FROM jobs_before_0010 ORDER BY id;
SELECT setval('jobs_id_seq', greatest((SELECT max(id) FROM jobs_before_0010), 1),
              (SELECT max(id) FROM jobs_before_0010) IS NOT NULL);
DROP TABLE jobs_before_0010;

-- The event document of a job (payload of every jobs.job.* subject), from its
-- fields. A plain SQL expression without a SET clause, so PostgreSQL inlines it
-- into the statement that calls it: the function it replaces (a row argument,
-- its own search_path) cost 8 us per event in the backend, this one ~3 us.
CREATE TYPE job_event_doc AS (
  id text, queue text, task text, state text, attempt int, "maxAttempts" int, key text,
  "groupKey" text, "runAt" timestamptz, "finishedAt" timestamptz, error text, result jsonb,
  at timestamptz
);
CREATE FUNCTION job_event(id bigint, queue text, task text, kind text, attempts int, max_attempts int,
                          key text, group_key text, run_at timestamptz, finished_at timestamptz,
                          last_error text, result jsonb)
RETURNS jsonb LANGUAGE sql STABLE
AS $$
  SELECT to_jsonb(ROW(id::text, queue, task, kind, attempts, max_attempts, key, group_key, run_at, finished_at,
                      CASE WHEN kind IN ('failed', 'dead', 'cancelled') THEN last_error END,
                      CASE WHEN kind = 'completed' THEN result END, now())::job_event_doc)
$$;

-- State changes made through `jobs` (fail, the sweep, cancel, failure propagation,
-- redrive, a SQL caller's UPDATE) write their events here, as before.
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
  INSERT INTO outbox (subject, payload, msg_id)
  SELECT 'jobs.job.' || n.state,
         job_event(n.id, n.queue, n.task, n.state, n.attempts, n.max_attempts, n.key, n.group_key,
                   n.run_at, n.finished_at, n.last_error, n.result),
         gen_random_uuid()::text
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

-- remove_job() as in 0005; it deletes the job's dependency and error rows itself
-- (no cascade any more).
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
  DELETE FROM job_deps d WHERE d.child_id = v_job.id;
  DELETE FROM job_errors e WHERE e.job_id = v_job.id;
  SELECT l.events INTO v_events FROM limits l WHERE l.id = 1;
  IF 'removed' = ANY (v_events) THEN
    INSERT INTO outbox (subject, payload, msg_id)
      VALUES ('jobs.job.removed',
              job_event(v_job.id, v_job.queue, v_job.task, 'removed', v_job.attempts, v_job.max_attempts,
                        v_job.key, v_job.group_key, v_job.run_at, v_job.finished_at, v_job.last_error,
                        v_job.result),
              gen_random_uuid()::text);
    PERFORM pg_notify(current_schema() || '_outbox', NULL);
  END IF;
  RETURN QUERY SELECT v_job.id, v_job.state, v_job.task, v_job.run_at;
END
$$;

-- add_job() as in 0003, inserting into jobs_open (its unique key and tick indexes are
-- that partition's, and ON CONFLICT needs them), and counting its parents after
-- locking them, in a statement of its own (see the comment there).
CREATE OR REPLACE FUNCTION add_job(
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
    PERFORM 1 FROM (SELECT j.id FROM jobs j WHERE j.id = ANY (depends_on) ORDER BY j.id FOR SHARE) locked;
    -- Counted by the next statement, with a new snapshot: a parent whose completion we waited for
    -- above was deleted from jobs_open (the lock skipped it) and is in jobs_done now.
    SELECT count(*),
           count(*) FILTER (WHERE j.state NOT IN ('completed', 'dead', 'cancelled')),
           min(j.id) FILTER (WHERE j.state IN ('dead', 'cancelled'))
      INTO v_found, v_pending, v_dead
      FROM jobs j WHERE j.id = ANY (depends_on);
    IF v_found < (SELECT count(DISTINCT d) FROM unnest(depends_on) d) THEN
      RAISE EXCEPTION 'a job this one depends on does not exist' USING ERRCODE = 'P0002';
    END IF;
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
      INSERT INTO jobs_open AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
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
      INSERT INTO jobs_open AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                             timeout_ms, state, pending_parents, on_parent_failure, traceparent)
      VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
              add_job.priority, v_max, add_job.key, add_job.group_key, add_job.timeout_ms,
              v_state, v_pending, add_job.on_parent_failure, add_job.traceparent)
      ON CONFLICT (queue, key) WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed')
      DO UPDATE SET key = j.key
      RETURNING j.id, j.state, (j.xmax <> 0) INTO v_id, v_state, v_existing;
    END IF;
  ELSE
    INSERT INTO jobs_open AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
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

-- The children of jobs that just completed (the completion statement calls it for
-- the parents that have children, worker.store.ts): each counts its parents not
-- yet completed, decremented by the number of its parents among `p_parents`; one
-- that reaches 0 becomes `waiting` and its queue is woken. Two parents completing
-- in one batch, or in two racing batches, both count: the UPDATE re-reads the row
-- it waited for. VOLATILE, so its statement takes a new snapshot: a child added
-- (add_job() locks its parents) while the completion waited for that parent's row
-- committed before the completion went on, and its job_deps row is seen here; the
-- completion statement's own snapshot, older, would miss it and leave the child
-- blocked for good. Returns the number of queues woken.
CREATE FUNCTION complete_children(p_parents bigint[], p_channel text) RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_woken int;
BEGIN
  WITH kids AS (
    SELECT d.child_id, count(*)::int AS n
      FROM job_deps d
     WHERE d.parent_id = ANY (p_parents)
     GROUP BY d.child_id
  ), unblocked AS (
    UPDATE jobs c
       SET pending_parents = c.pending_parents - kids.n,
           state = CASE WHEN c.state = 'blocked' AND c.pending_parents - kids.n <= 0 THEN 'waiting' ELSE c.state END,
           run_at = CASE WHEN c.state = 'blocked' AND c.pending_parents - kids.n <= 0
                         THEN greatest(c.run_at, now()) ELSE c.run_at END
      FROM kids
     WHERE c.id = kids.child_id
    RETURNING c.queue, c.state
  )
  SELECT count(pg_notify(p_channel, w.q)) INTO v_woken
    FROM (SELECT DISTINCT u.queue AS q FROM unblocked u WHERE u.state = 'waiting') w;
  RETURN v_woken;
END
$$;
