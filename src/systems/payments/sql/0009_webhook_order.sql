-- Webhook deliveries in order per object: one row per (endpoint, event), numbered as the events
-- were written. The events of one object are written by transactions that hold that object's
-- row lock (a PaymentIntent, a charge, a payout), so for one object `seq` is also commit order.
-- A delivery job works on a stream (endpoint, object): it claims the lowest open row, delivers
-- it, and only then the next, so a retry can never let a later event of the object overtake an
-- earlier one. `sending` rows carry a lease: a worker killed mid-delivery leaves a row that the
-- next job takes again once the lease has passed (at least once).
CREATE TABLE stripe_webhook_deliveries (
  seq          bigserial PRIMARY KEY,
  account_id   text NOT NULL,
  endpoint_id  text NOT NULL,
  object_id    text NOT NULL,
  event_id     text NOT NULL,
  state        text NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'skipped')),
  attempts     int NOT NULL DEFAULT 0,
  lease_until  timestamptz,
  last_status  int,
  delivered_at timestamptz
);
CREATE INDEX stripe_webhook_deliveries_open ON stripe_webhook_deliveries (endpoint_id, object_id, seq)
  WHERE state IN ('pending', 'sending');
CREATE INDEX stripe_webhook_deliveries_event ON stripe_webhook_deliveries (event_id);
