-- Email verification links. As for password resets, the link carries a random token and only its
-- SHA-256 is stored; a link works once, until expires_at, and verifying uses up every pending
-- link of the account.
CREATE TABLE email_verifications (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at DESC);
