-- PaymentIntents as a projection of their events: from now on every change of a PaymentIntent
-- also appends a `payment_intent_change` row (stripe/objects.store.ts) carrying the state it
-- produced, in the change's transaction, and stripe/projection.ts rebuilds the PaymentIntents
-- from them. PaymentIntents made before this migration get one change now: their state then.
INSERT INTO stripe_objects (id, account_id, type, data)
SELECT 'pich_migrated_' || id, account_id, 'payment_intent_change',
       jsonb_build_object('id', 'pich_migrated_' || id, 'object', 'payment_intent_change',
                          'payment_intent', id, 'change', 'migrated', 'state', data)
  FROM stripe_objects WHERE type = 'payment_intent'
 ORDER BY seq;

CREATE INDEX stripe_objects_pi_changes ON stripe_objects ((data->>'payment_intent'), seq)
  WHERE type = 'payment_intent_change';
