-- The Stripe-shaped API (stripe/): secret keys, the API's objects, idempotency keys.

-- Secret keys (sk_test_...), stored as their SHA-256: a key is 24+ random characters, so a plain
-- hash is enough (no password stretching needed), and lookups stay one index probe.
CREATE TABLE stripe_keys (
  hash       text PRIMARY KEY,
  account_id text NOT NULL,
  last4      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every object of the API (customers, payment intents, charges, refunds, events, webhook
-- endpoints, payment methods) as Stripe's JSON, one row each. `seq` orders lists (newest first)
-- and pagination cursors (starting_after / ending_before name an object; its seq is the cursor).
CREATE TABLE stripe_objects (
  id         text PRIMARY KEY,
  account_id text NOT NULL,
  type       text NOT NULL,
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  deleted    boolean NOT NULL DEFAULT false,
  data       jsonb NOT NULL
);
CREATE INDEX stripe_objects_list ON stripe_objects (account_id, type, seq);

-- Idempotency-Key: the first response to a key (status and body) replayed for 24 hours. A row
-- with status NULL is a request in progress: its transaction holds the row locked, so a
-- concurrent request with the same key finds the lock taken (409), and a process that died
-- mid-request left an unlocked row that the next attempt takes over.
CREATE TABLE stripe_idempotency (
  account_id   text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status       int,
  response     text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
CREATE INDEX stripe_idempotency_age ON stripe_idempotency (created_at);
