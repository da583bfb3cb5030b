-- Pull queues: jobs run by workers in any language over HTTP (POST /jobs/pull/fetch,
-- heartbeat, complete, fail), as App Engine's pull queues and Cloud Tasks' pull mode
-- did. The in-process worker leaves a pull queue's jobs alone (queue-slots.ts reads
-- it as paused), and enqueues into it accept any task name: its tasks are the
-- external workers', not this process's.
ALTER TABLE queues ADD COLUMN pull boolean NOT NULL DEFAULT false;
