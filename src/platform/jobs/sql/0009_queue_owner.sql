-- One set of job tables for every system of the installation: a queue that a
-- system declares in defineSystem({ jobs: { queues } }) is recorded as that
-- system's. A process's worker fetches only the queues of the systems it runs
-- (their handlers are in it), plus, where the jobs system runs, the queues no
-- system owns (made through the jobs API or SQL, run by the jobs system's
-- tasks). NULL: no owner. The fetch statements themselves are unchanged: which
-- queues a worker fetches is decided when it reads this table (queue-slots.ts).
ALTER TABLE queues ADD COLUMN system text CHECK (system ~ '^[a-z][a-z0-9-]*$');
