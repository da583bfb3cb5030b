-- Revoked tokens (revocations.ts). A token is revoked by its id (`jti`: one login ends), or every
-- token of a user issued at or before a moment (`revoked_users.before`: "log out everywhere", a
-- banned user). Each node keeps both in memory, learns new rows from the Bus at once and reads rows
-- newer than the last it saw every CHAT_REVOCATION_SYNC_MS (what the bus lost), and closes the open
-- connections they revoke. Rows of tokens past their expiry are useless and deleted by the nodes.
CREATE TABLE revoked_tokens (
  jti text PRIMARY KEY,
  user_name text NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at);

CREATE TABLE revoked_users (
  user_name text PRIMARY KEY,
  before timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX revoked_users_revoked_at ON revoked_users (revoked_at);
