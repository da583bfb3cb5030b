-- The transactional outbox of one system schema. A row is written in the
-- same transaction as the state change it announces; the relay publishes it
-- to the Bus and marks it sent. Unsent rows are found through the partial
-- index, so the table can keep sent rows for a while at no cost to the relay.
CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject text NOT NULL,
  payload jsonb,
  msg_id text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  last_error text
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
