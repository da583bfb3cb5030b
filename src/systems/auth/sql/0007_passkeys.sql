-- Passkeys (WebAuthn credentials): a first factor on their own (a user-verifying authenticator is
-- something the user has and is or knows), and a second factor after a password.
--
-- id is the credential id (base64url) the authenticator chose; public_key its COSE public key.
-- counter is the signature counter of the last accepted assertion: an assertion whose counter is
-- not above it (when either is non-zero) comes from a copy of the authenticator and is refused.
CREATE TABLE passkeys (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- The challenge of a ceremony a page started, keyed by what it is for (a sign-in's interaction, an
-- account session's registration). Taken (deleted) by the verification that uses it, so each
-- challenge is answered once.
CREATE TABLE webauthn_challenges (
  key text PRIMARY KEY,
  challenge text NOT NULL,
  user_id text,
  expires_at timestamptz NOT NULL
);
