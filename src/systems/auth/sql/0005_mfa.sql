-- Second factor: TOTP (RFC 6238) and recovery codes.
--
-- One TOTP authenticator per account. The shared secret has to be readable to compute codes, so it
-- is stored as is (like the signing keys: a database reader can compute codes; see the README's
-- threat model). confirmed_at is null while an enrolment waits for its first code; last_step is
-- the time step of the last code accepted: a code whose step is not after it is refused, so each
-- code works once (a replayed code within its 90-second window is refused).
CREATE TABLE mfa_totp (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz,
  last_step bigint NOT NULL DEFAULT 0
);

-- Recovery codes: ten per enrolment, shown once, stored as SHA-256 (50 random bits each, checked
-- under the MFA lockout, so a fast hash is enough), each usable once.
CREATE TABLE mfa_recovery_codes (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose password was right and whose second factor is still to come, keyed by the
-- oidc-provider interaction. The interaction is only finished (handed back to the provider) after
-- the second factor, so nothing but this row remembers the password step.
-- stage: 'verify' (enrolled: asks for a code), 'enrol' (must enrol first), 'enrolled' (enrolment
-- done, recovery codes shown, the sign-in continues).
CREATE TABLE mfa_pending (
  interaction_uid text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  stage text NOT NULL CHECK (stage IN ('verify', 'enrol', 'enrolled')),
  expires_at timestamptz NOT NULL
);

-- An administrator (or AUTH_MFA_REQUIRED) requires the second factor: at the next sign-in an
-- account without one enrols before it gets in.
ALTER TABLE users ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN mfa_enrolled_at timestamptz;
