-- The configuration PUT through the admin API: one row, served by every process while it exists
-- (it wins over RATE_LIMITER_CONFIG until DELETE /rate-limiter/config/override). `version` lets a
-- process see, at its next poll, that it missed the Bus announcement of a change.
CREATE TABLE config_override (
  id         int PRIMARY KEY CHECK (id = 1),
  yaml       text NOT NULL,
  version    bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
