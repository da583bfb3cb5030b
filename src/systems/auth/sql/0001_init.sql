-- The auth system's schema. Unqualified names resolve to the system's own
-- schema (auth, or a per-test one).

-- Every artifact oidc-provider stores (sessions, interactions, grants,
-- authorization codes, refresh tokens, opaque access tokens, device codes,
-- replay-detection entries, ...) is one row: the model name, its id and its
-- JSON payload, as the provider hands them to the adapter (adapter.pg.ts).
-- grant_id, uid and user_code are copied out of the payload because the
-- provider looks artifacts up by them (revokeByGrantId, findByUid,
-- findByUserCode).
CREATE TABLE oidc_artifacts (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_artifacts_grant ON oidc_artifacts (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_artifacts_uid ON oidc_artifacts (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_artifacts_user_code ON oidc_artifacts (user_code) WHERE user_code IS NOT NULL;
-- The sweeper deletes expired rows in batches (oldest first).
CREATE INDEX oidc_artifacts_expiry ON oidc_artifacts (expires_at) WHERE expires_at IS NOT NULL;

-- Registered clients: oidc-provider's client metadata as JSON. A client
-- secret is never stored: metadata.client_secret holds `sha256:<hex>` of it
-- (clients.ts), compared in constant time at authentication.
CREATE TABLE clients (
  client_id text PRIMARY KEY,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Signing keys (private JWKs). Life of a key: 'next' (published in JWKS, not
-- signing yet, so that verifiers' caches learn it first) -> 'current' (the
-- one key that signs) -> 'retired' (published until publish_until, when the
-- last token it signed has expired) -> deleted.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  private_jwk jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  retired_at timestamptz,
  publish_until timestamptz
);
-- At most one current key (and one next key) at a time.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state IN ('current', 'next');

-- Secrets of the installation (the keys that sign oidc-provider's cookies),
-- created once by the first process that starts.
CREATE TABLE secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Accounts. email is unique without regard to case (lower(email)).
CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  email_verified boolean NOT NULL DEFAULT false,
  name text,
  password_hash text,
  is_admin boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Access tokens that are JWTs cannot be taken back; a revoked one is listed
-- here until it would have expired anyway (introspection answers inactive).
CREATE TABLE revoked_jwts (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

-- Every security event, append-only: logins, failed logins, token reuse,
-- key rotation, client and user changes.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL,
  user_id text,
  client_id text,
  ip text,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_user ON audit_log (user_id, at DESC) WHERE user_id IS NOT NULL;
