-- The pull API's fetch (POST /jobs/pull/fetch), one round trip for every queue
-- it names, and one that honours a queue's global concurrency limit exactly,
-- with or without a filter on tasks.
-- - A limited queue's row is locked first (FOR NO KEY UPDATE, as fetch_limited()
--   does: enqueues take FOR KEY SHARE and do not wait), in name order so that
--   two fetches naming the same queues in another order cannot deadlock; the
--   fetches of that queue (pull clients and fetch_limited() alike) run one at a
--   time. The count of its active jobs is the next statement, so its fresh
--   snapshot sees every activation committed before the lock.
-- - A job leased by a pull client holds its slot until it is completed, failed,
--   or its lease expires: an active job whose lease is past does not count (the
--   client hung or died; the stalled-job sweep gives the job back later).
-- - Candidates are taken per limited queue (at most its free slots) and from
--   the unlimited queues, then the best `p_n` of them all are leased: the order
--   is the same as for unlimited queues alone (priority, run time, id).
-- - Unlike the in-process worker's fetches this one commits durably: its answer
--   goes over the network, and a fetch the client saw must not be forgotten.
CREATE FUNCTION pull_fetch(p_queues text[], p_tasks text[], p_n int, p_worker text, p_lease_ms int)
RETURNS TABLE (id text, queue text, task text, payload jsonb, attempts int, max_attempts int, lease text,
               locked_until timestamptz, run_at timestamptz, started_at timestamptz, group_key text,
               traceparent text)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_limited text[];
  v_free int[];
BEGIN
  SELECT coalesce(array_agg(l.name ORDER BY l.name), '{}') INTO v_limited FROM (
    SELECT q.name FROM queues q
     WHERE q.name = ANY (p_queues) AND q.pull AND NOT q.paused AND q.global_concurrency IS NOT NULL
     ORDER BY q.name
       FOR NO KEY UPDATE
  ) l;
  -- A new snapshot: the active jobs of the locked queues, as committed before the locks.
  SELECT coalesce(array_agg(q.global_concurrency - (
           SELECT count(*) FROM jobs a
            WHERE a.queue = q.name AND a.state = 'active' AND a.locked_until > now())::int ORDER BY q.name), '{}')
    INTO v_free
    FROM queues q WHERE q.name = ANY (v_limited);
  RETURN QUERY
  WITH lim AS (
    SELECT l.queue, l.free FROM unnest(v_limited, v_free) AS l(queue, free) WHERE l.free > 0
  ), unlimited AS (
    SELECT j.id, j.priority, j.run_at FROM jobs j
      WHERE j.queue = ANY (p_queues) AND j.state IN ('waiting', 'failed') AND j.run_at <= now()
        AND (p_tasks IS NULL OR j.task = ANY (p_tasks))
        -- Checked here too: once a pause (or a switch back to push, or a limit) commits, this takes nothing.
        AND EXISTS (SELECT 1 FROM queues q WHERE q.name = j.queue AND q.pull AND NOT q.paused
                                             AND q.global_concurrency IS NULL)
      ORDER BY j.priority DESC, j.run_at, j.id
      LIMIT p_n
        FOR UPDATE SKIP LOCKED
  ), limited AS (
    SELECT c.id, c.priority, c.run_at FROM lim CROSS JOIN LATERAL (
      SELECT j.id, j.priority, j.run_at FROM jobs j
       WHERE j.queue = lim.queue AND j.state IN ('waiting', 'failed') AND j.run_at <= now()
         AND (p_tasks IS NULL OR j.task = ANY (p_tasks))
       ORDER BY j.priority DESC, j.run_at, j.id
       LIMIT least(lim.free, p_n)
         FOR UPDATE SKIP LOCKED
    ) c
  ), next AS (
    SELECT c.id FROM (SELECT * FROM unlimited UNION ALL SELECT * FROM limited) c
     ORDER BY c.priority DESC, c.run_at, c.id
     LIMIT p_n
  )
  UPDATE jobs j
     SET state = 'active', attempts = j.attempts + 1, lease = j.lease + 1, locked_by = p_worker,
         locked_until = now() + p_lease_ms * interval '1 millisecond', started_at = now()
    FROM next
   WHERE j.id = next.id
  RETURNING j.id::text, j.queue, j.task, j.payload, j.attempts, j.max_attempts, j.lease::text,
            j.locked_until, j.run_at, j.started_at, j.group_key, j.traceparent;
END
$$;
