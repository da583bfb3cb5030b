-- The task names each system's handlers answer to, written at boot by every
-- process that runs the system (engine.register). A job added through the jobs
-- API to a queue a system owns (queues.system, sql/0009) must name one of them:
-- only that system's processes fetch the queue, so a job for any other task
-- would fail in its worker every attempt and die. The process taking the
-- request need not run the owner, hence a table rather than its own registry.
-- No row for a system: no process of this version has run it yet (a rolling
-- upgrade), and its jobs are not checked.
CREATE TABLE system_tasks (
  system text PRIMARY KEY CHECK (system ~ '^[a-z][a-z0-9-]*$'),
  tasks text[] NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
