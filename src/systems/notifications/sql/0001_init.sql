-- Notifications: subscribers, topics, workflows, preferences, triggers and their deliveries,
-- digests, the in-app inbox (messages + the per-subscriber event log the live stream reads by
-- offset), the embedded email outbox, and keys generated once (VAPID, token signing).

CREATE TABLE subscribers (
  id             text PRIMARY KEY,
  email          text,
  phone          text,
  webhook_url    text,
  -- Standard Webhooks secret (whsec_<base64>): each subscriber's webhook is signed with its own.
  webhook_secret text NOT NULL,
  timezone       text NOT NULL DEFAULT 'UTC',
  -- Quiet hours as minutes of the local day; start > end spans midnight (22:00-07:00).
  quiet_start    smallint,
  quiet_end      smallint,
  data           jsonb NOT NULL DEFAULT '{}',
  -- The inbox stream's counter row: an inbox event takes inbox_offset + 1 under this row's lock.
  inbox_offset   bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE push_subscriptions (
  subscriber_id text NOT NULL REFERENCES subscribers ON DELETE CASCADE,
  endpoint      text NOT NULL,
  p256dh        text NOT NULL,
  auth          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber_id, endpoint)
);

CREATE TABLE topics (
  key        text PRIMARY KEY,
  name       text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE topic_subscribers (
  topic         text NOT NULL REFERENCES topics ON DELETE CASCADE,
  subscriber_id text NOT NULL REFERENCES subscribers ON DELETE CASCADE,
  PRIMARY KEY (topic, subscriber_id)
);
CREATE INDEX topic_subscribers_subscriber ON topic_subscribers (subscriber_id);

CREATE TABLE workflows (
  id          text PRIMARY KEY,
  name        text,
  steps       jsonb NOT NULL,
  critical    boolean NOT NULL DEFAULT false,
  -- Default per channel ({"email": false}); a channel absent is on.
  defaults    jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A subscriber's choice: for one workflow ('*': every workflow) and one channel ('*': every channel).
CREATE TABLE preferences (
  subscriber_id text NOT NULL REFERENCES subscribers ON DELETE CASCADE,
  workflow_id   text NOT NULL DEFAULT '*',
  channel       text NOT NULL DEFAULT '*',
  enabled       boolean NOT NULL,
  PRIMARY KEY (subscriber_id, workflow_id, channel)
);

-- One row per accepted trigger; the workflow's steps are copied so an edit never changes a run.
CREATE TABLE transactions (
  id              text PRIMARY KEY,
  idempotency_key text UNIQUE,
  request_hash    text NOT NULL,
  workflow_id     text NOT NULL,
  steps           jsonb NOT NULL,
  critical        boolean NOT NULL,
  payload         jsonb NOT NULL,
  recipients      integer NOT NULL,
  source          text NOT NULL DEFAULT 'api',
  state           text NOT NULL DEFAULT 'accepted' CHECK (state IN ('accepted', 'cancelled')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (trigger, subscriber, channel step): the unique key is what makes a delivery once.
CREATE TABLE deliveries (
  id             text PRIMARY KEY,
  transaction_id text NOT NULL REFERENCES transactions ON DELETE CASCADE,
  subscriber_id  text NOT NULL,
  step           integer NOT NULL,
  channel        text NOT NULL,
  status         text NOT NULL,
  reason         text,
  attempts       integer NOT NULL DEFAULT 0,
  digest_id      bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (transaction_id, subscriber_id, step)
);
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, created_at DESC);

-- Every attempt of every delivery, with what happened.
CREATE TABLE attempts (
  delivery_id text NOT NULL REFERENCES deliveries ON DELETE CASCADE,
  n           integer NOT NULL,
  status      text NOT NULL,
  detail      text,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id, n)
);

-- A digest window of one workflow step for one subscriber: events that arrive while it is open join it.
CREATE TABLE digests (
  id             bigserial PRIMARY KEY,
  workflow_id    text NOT NULL,
  subscriber_id  text NOT NULL,
  step           integer NOT NULL,
  opened_at      timestamptz NOT NULL,
  window_end     timestamptz NOT NULL,
  -- The trigger whose run carries on after the window (its steps after the digest run once).
  transaction_id text NOT NULL
);
CREATE INDEX digests_open ON digests (workflow_id, subscriber_id, step, window_end DESC);

CREATE TABLE digest_events (
  digest_id      bigint NOT NULL REFERENCES digests ON DELETE CASCADE,
  transaction_id text NOT NULL,
  payload        jsonb NOT NULL,
  at             timestamptz NOT NULL,
  PRIMARY KEY (digest_id, transaction_id)
);

CREATE TABLE inbox_messages (
  id             text PRIMARY KEY,
  subscriber_id  text NOT NULL REFERENCES subscribers ON DELETE CASCADE,
  transaction_id text NOT NULL,
  workflow_id    text NOT NULL,
  subject        text,
  body           text NOT NULL,
  data           jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  seen_at        timestamptz,
  read_at        timestamptz,
  archived_at    timestamptz
);
CREATE INDEX inbox_messages_subscriber ON inbox_messages (subscriber_id, created_at DESC, id DESC);
CREATE INDEX inbox_messages_unread ON inbox_messages (subscriber_id) WHERE read_at IS NULL AND archived_at IS NULL;

-- The inbox stream's history: what a live client resumes from by offset.
CREATE TABLE inbox_events (
  subscriber_id text NOT NULL REFERENCES subscribers ON DELETE CASCADE,
  "offset"      bigint NOT NULL,
  type          text NOT NULL,
  message_id    text NOT NULL,
  data          jsonb NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber_id, "offset")
);

-- Email with no SMTP server configured (the embedded default): kept here instead of sent.
CREATE TABLE email_outbox (
  id         text PRIMARY KEY,
  recipient  text NOT NULL,
  subject    text NOT NULL,
  html       text NOT NULL,
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE keys (
  name  text PRIMARY KEY,
  value text NOT NULL
);
