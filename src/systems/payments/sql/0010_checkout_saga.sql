-- The checkout saga (saga/): reserve -> authorize -> capture -> fulfil, with the compensations
-- release, void, refund. `saga_checkouts` is the saga's state; `saga_log` its append-only log:
-- a forward step or a compensation is recorded as succeeded at most once (the unique index),
-- which is what a run resumed after a crash reads to know where it is.
CREATE TABLE saga_checkouts (
  id          text PRIMARY KEY,
  status      text NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'compensated')),
  amount      bigint NOT NULL CHECK (amount > 0),
  currency    text NOT NULL,
  card        text NOT NULL,
  sku         text NOT NULL,
  quantity    int NOT NULL CHECK (quantity > 0),
  done        text[] NOT NULL DEFAULT '{}',  -- forward steps that succeeded, in order
  undone      text[] NOT NULL DEFAULT '{}',  -- compensations that succeeded, in order
  tries       jsonb NOT NULL DEFAULT '{}',   -- step -> attempts that met a transient failure
  failure     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE saga_log (
  seq      bigserial PRIMARY KEY,
  saga_id  text NOT NULL REFERENCES saga_checkouts (id),
  step     text NOT NULL,
  action   text NOT NULL,   -- started, succeeded, failed, retry, compensated, callback
  detail   jsonb,
  at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX saga_log_once ON saga_log (saga_id, step, action)
  WHERE action IN ('succeeded', 'failed', 'compensated', 'callback');
CREATE INDEX saga_log_saga ON saga_log (saga_id, seq);

-- The simulated acquirer's own books (an outside party in a real deployment): one row per
-- idempotency key, and every call it received (what the tests count).
CREATE TABLE sim_acquirer_payments (
  key       text PRIMARY KEY,
  card      text,
  amount    bigint NOT NULL,
  currency  text NOT NULL,
  state     text NOT NULL CHECK (state IN ('authorized', 'captured', 'voided', 'refunded', 'blocked')),
  captured  bigint NOT NULL DEFAULT 0,
  refunded  bigint NOT NULL DEFAULT 0,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sim_acquirer_calls (
  seq     bigserial PRIMARY KEY,
  key     text NOT NULL,
  op      text NOT NULL,
  outcome text NOT NULL,
  at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sim_acquirer_calls_key ON sim_acquirer_calls (key, op);

-- The simulated warehouse: stock per SKU, a reservation per checkout, a shipment per checkout.
CREATE TABLE sim_stock (
  sku       text PRIMARY KEY,
  available int NOT NULL CHECK (available >= 0)
);
CREATE TABLE sim_reservations (
  saga_id  text PRIMARY KEY,
  sku      text NOT NULL,
  quantity int NOT NULL,
  state    text NOT NULL CHECK (state IN ('held', 'released'))
);
CREATE TABLE sim_shipments (
  saga_id text PRIMARY KEY,
  sku     text NOT NULL,
  at      timestamptz NOT NULL DEFAULT now()
);
