-- The job queue's schema. Unqualified names resolve to the system's own
-- schema (`jobs`, `<DB_SCHEMA_PREFIX>jobs`, or a per-test one); the SQL
-- functions pin their search path at creation (SET search_path FROM CURRENT)
-- so a caller in any schema and any language can run `jobs.add_job(...)`.

-- One row: limits the SQL functions enforce, written by every process at boot
-- from its settings (JOBS_MAX_PAYLOAD_BYTES), so SQL callers meet the same limit.
CREATE TABLE limits (
  id int PRIMARY KEY CHECK (id = 1),
  max_payload_bytes int NOT NULL DEFAULT 262144
);
INSERT INTO limits (id) VALUES (1);

-- The secret that signs HTTP target requests, created once per installation.
CREATE TABLE signing_key (
  id int PRIMARY KEY CHECK (id = 1),
  secret text NOT NULL
);

CREATE TABLE queues (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
  paused boolean NOT NULL DEFAULT false,
  -- Jobs of this queue one process runs at once (NULL: JOBS_QUEUE_CONCURRENCY).
  concurrency int CHECK (concurrency BETWEEN 1 AND 1000),
  -- Rate limits: at most rate_limit jobs started per rate_period_ms in the whole
  -- queue, and group_rate_limit per group key (one tenant cannot starve the others).
  rate_limit int CHECK (rate_limit > 0),
  rate_period_ms int CHECK (rate_period_ms > 0),
  group_rate_limit int CHECK (group_rate_limit > 0),
  group_rate_period_ms int CHECK (group_rate_period_ms > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO queues (name) VALUES ('default');

-- Stored states. `waiting` with run_at in the future is reported as `scheduled`;
-- `blocked` (parents not all completed yet) is reported as `scheduled` too,
-- with pendingDependencies > 0. `failed` means an attempt failed and a retry is
-- due at run_at; `dead` means no attempt is left.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL REFERENCES queues (name) ON UPDATE CASCADE,
  task text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL DEFAULT 'waiting'
    CHECK (state IN ('waiting', 'blocked', 'active', 'failed', 'completed', 'dead', 'cancelled')),
  -- Higher runs first.
  priority int NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 25 CHECK (max_attempts BETWEEN 1 AND 1000),
  -- Per-attempt timeout; NULL: the task's, else JOBS_DEFAULT_TIMEOUT_MS.
  timeout_ms int CHECK (timeout_ms > 0),
  -- Deduplication / debounce key: unique among pending jobs of a queue (index below).
  key text,
  group_key text,
  -- The fencing token: +1 on every fetch, never reset. A worker's completion
  -- names the lease it was given; a worker whose lease was taken back is refused.
  lease bigint NOT NULL DEFAULT 0,
  locked_by text,
  locked_until timestamptz,
  -- Times a worker lost this job (its lease expired: the process died or hung).
  stalls int NOT NULL DEFAULT 0,
  -- Dependencies: parents not yet completed, and what a failed parent does to us.
  pending_parents int NOT NULL DEFAULT 0,
  on_parent_failure text NOT NULL DEFAULT 'fail' CHECK (on_parent_failure IN ('fail', 'release')),
  has_children boolean NOT NULL DEFAULT false,
  progress jsonb,
  result jsonb,
  last_error text,
  traceparent text,
  -- Cron: the schedule and tick this job was created for (unique: each tick once).
  schedule text,
  tick timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);

-- The fetch: runnable jobs of a queue in priority order. Partial, so completed
-- and dead jobs (the bulk of the table) cost it nothing.
CREATE INDEX jobs_fetch ON jobs (queue, priority DESC, run_at, id) WHERE state IN ('waiting', 'failed');
-- The stalled-job sweep: active jobs by lease expiry.
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'active';
-- Dedupe / debounce: one pending job per (queue, key); a running job does not count,
-- so a new job with its key can wait behind it.
CREATE UNIQUE INDEX jobs_key ON jobs (queue, key)
  WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed');
CREATE UNIQUE INDEX jobs_tick ON jobs (schedule, tick) WHERE schedule IS NOT NULL;
-- Listing and pruning by state and age.
CREATE INDEX jobs_state ON jobs (queue, state, id);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'dead', 'cancelled');

CREATE TABLE job_deps (
  parent_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  child_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX job_deps_child ON job_deps (child_id);

-- Every failed attempt with its error and stack (a completed attempt is the job row itself).
CREATE TABLE job_errors (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt int NOT NULL,
  worker text,
  error text NOT NULL,
  stack text,
  started_at timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_errors_job ON job_errors (job_id, id);

-- Stripe-style Idempotency-Key of POST .../jobs: the same key and body answer the same job.
CREATE TABLE idempotency_keys (
  key text PRIMARY KEY,
  request_hash text NOT NULL,
  job_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE schedules (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
  queue text NOT NULL REFERENCES queues (name) ON UPDATE CASCADE,
  task text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  cron text NOT NULL,
  tz text NOT NULL DEFAULT 'UTC',
  -- After downtime: 'all' missed ticks (up to a cap), the 'latest' one, or 'none'.
  catch_up text NOT NULL DEFAULT 'latest' CHECK (catch_up IN ('all', 'latest', 'none')),
  priority int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 25 CHECK (max_attempts BETWEEN 1 AND 1000),
  enabled boolean NOT NULL DEFAULT true,
  -- The next tick not yet enqueued; a scheduler takes the row FOR UPDATE SKIP
  -- LOCKED, enqueues every due tick and advances it in one transaction.
  next_tick timestamptz NOT NULL,
  last_tick timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due ON schedules (next_tick) WHERE enabled;

-- Enqueue one job: the SQL face of addJob(), callable from any language, in the
-- caller's transaction (the NOTIFY is delivered when that transaction commits).
-- Errors carry SQLSTATEs the REST layer maps to 4xx:
--   22023 invalid parameter (payload too large, bad priority/attempts, bad dependency),
--   23503 unknown queue (the foreign key), P0002 unknown parent job.
-- key_mode: 'replace' updates a pending job with the same key (debounce),
-- 'keep' leaves it as it is (dedupe). notify => false skips the NOTIFY: a
-- transaction that notifies holds a database-wide lock from its commit until
-- the commit is flushed, so notifying enqueues commit one at a time; addJob()
-- outside a transaction passes false and wakes the workers itself, once for
-- many jobs, after the commit (enqueue.ts). Returns the job id, its state, and
-- whether an existing job was matched by key.
CREATE FUNCTION add_job(
  queue text,
  task text,
  payload jsonb DEFAULT '{}',
  run_at timestamptz DEFAULT NULL,
  priority int DEFAULT 0,
  max_attempts int DEFAULT 25,
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
BEGIN
  IF task IS NULL OR length(task) = 0 OR length(task) > 100 THEN
    RAISE EXCEPTION 'task must be 1 to 100 characters' USING ERRCODE = '22023';
  END IF;
  SELECT l.max_payload_bytes INTO v_limit FROM limits l WHERE l.id = 1;
  IF octet_length(coalesce(payload, '{}')::text) > v_limit THEN
    RAISE EXCEPTION 'payload is % bytes, over the limit of % bytes', octet_length(payload::text), v_limit
      USING ERRCODE = '22023';
  END IF;
  IF max_attempts IS NULL OR max_attempts < 1 OR max_attempts > 1000 THEN
    RAISE EXCEPTION 'max_attempts must be between 1 and 1000' USING ERRCODE = '22023';
  END IF;
  IF key_mode NOT IN ('replace', 'keep') THEN
    RAISE EXCEPTION 'key_mode must be replace or keep' USING ERRCODE = '22023';
  END IF;
  IF on_parent_failure NOT IN ('fail', 'release') THEN
    RAISE EXCEPTION 'on_parent_failure must be fail or release' USING ERRCODE = '22023';
  END IF;

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
    IF key_mode = 'replace' THEN
      INSERT INTO jobs AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                             timeout_ms, state, pending_parents, on_parent_failure, traceparent)
      VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
              add_job.priority, add_job.max_attempts, add_job.key, add_job.group_key, add_job.timeout_ms,
              v_state, v_pending, add_job.on_parent_failure, add_job.traceparent)
      ON CONFLICT (queue, key) WHERE key IS NOT NULL AND state IN ('waiting', 'blocked', 'failed')
      DO UPDATE SET task = EXCLUDED.task, payload = EXCLUDED.payload, run_at = EXCLUDED.run_at,
                    priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts,
                    group_key = EXCLUDED.group_key, timeout_ms = EXCLUDED.timeout_ms,
                    traceparent = EXCLUDED.traceparent
      RETURNING j.id, j.state, (j.xmax <> 0) INTO v_id, v_state, v_existing;
    ELSE
      INSERT INTO jobs AS j (queue, task, payload, run_at, priority, max_attempts, key, group_key,
                             timeout_ms, state, pending_parents, on_parent_failure, traceparent)
      VALUES (add_job.queue, add_job.task, coalesce(add_job.payload, '{}'), coalesce(add_job.run_at, now()),
              add_job.priority, add_job.max_attempts, add_job.key, add_job.group_key, add_job.timeout_ms,
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
            add_job.priority, add_job.max_attempts, add_job.key, add_job.group_key, add_job.timeout_ms,
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
