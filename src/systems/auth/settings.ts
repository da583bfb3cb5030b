/**
 * The auth system's environment variables (validated at boot with the
 * platform's). AUTH_INITIAL_* create a first client and a first admin at
 * start, as Shlink's INITIAL_API_KEY creates a first key.
 */
import { bool, int, list, optional, str, url } from '../../platform/settings.js'

export const settings = {
  AUTH_INITIAL_CLIENT_ID: optional(
    str({ maxLength: 200, doc: 'a confidential client (client_credentials) created at start if missing' }),
  ),
  AUTH_INITIAL_CLIENT_SECRET: optional(
    str({ maxLength: 500, doc: 'its secret (at least 16 characters); required with AUTH_INITIAL_CLIENT_ID' }),
  ),
  AUTH_INITIAL_ADMIN_EMAIL: optional(
    str({ maxLength: 320, doc: 'an admin account created at start if no account has this email' }),
  ),
  AUTH_INITIAL_ADMIN_PASSWORD: optional(
    str({ maxLength: 1000, doc: 'its password (the password policy applies); required with the email' }),
  ),
  AUTH_DEFAULT_AUDIENCE: optional(
    str({
      maxLength: 500,
      doc: 'audience of access tokens whose request names no resource (default: PUBLIC_URL)',
    }),
  ),
  AUTH_RESOURCES: list({
    default: [],
    doc: 'further resource indicators (API URLs) clients may ask tokens for, comma-separated',
  }),
  AUTH_API_SCOPES: list({
    default: ['api:read', 'api:write', 'admin'],
    doc: 'scopes that access tokens for the resources may carry',
  }),
  AUTH_ACCESS_TOKEN_TTL_S: int({ default: 600, min: 30, max: 86_400, doc: 'access token lifetime' }),
  AUTH_ID_TOKEN_TTL_S: int({ default: 3600, min: 30, max: 86_400, doc: 'ID token lifetime' }),
  AUTH_REFRESH_TOKEN_TTL_S: int({
    default: 14 * 86_400,
    min: 60,
    max: 365 * 86_400,
    doc: 'refresh token lifetime (each rotation starts a new one)',
  }),
  AUTH_SESSION_TTL_S: int({
    default: 14 * 86_400,
    min: 60,
    max: 365 * 86_400,
    doc: 'login session lifetime',
  }),
  AUTH_REFRESH_REUSE_GRACE_MS: int({
    default: 2000,
    min: 0,
    max: 60_000,
    doc: 'a rotated refresh token still refreshes this long after its rotation (the concurrent-refresh race); after it, reuse revokes the grant',
  }),
  AUTH_KEY_ROTATION_DAYS: int({
    default: 30,
    min: 0,
    max: 3650,
    doc: 'rotate the signing key when the current one is this old (0: only by the admin call)',
  }),
  AUTH_KEY_PUBLISH_LEAD_S: int({
    default: 3600,
    min: 0,
    max: 30 * 86_400,
    doc: 'how long the next key is published before it may sign (verifier JWKS caches learn it first)',
  }),
  AUTH_KEYS_REFRESH_MS: int({
    default: 10_000,
    min: 100,
    max: 3_600_000,
    doc: 'how often each process rereads the signing keys (a rotation elsewhere applies within it)',
  }),
  AUTH_CLIENT_CACHE_MS: int({
    default: 5000,
    min: 0,
    max: 3_600_000,
    doc: 'how long a process keeps a client it read (a change made by another process applies within it)',
  }),
  AUTH_LOGIN_ATTEMPTS: int({
    default: 5,
    min: 1,
    max: 1000,
    doc: 'failed logins per account (and 4x that per IP) before the lockout starts',
  }),
  AUTH_LOGIN_LOCKOUT_S: int({
    default: 60,
    min: 1,
    max: 86_400,
    doc: 'the first lockout; it doubles with each further failure, up to a day',
  }),
  AUTH_SMTP_URL: optional(
    url(['smtp', 'smtps'], {
      doc: 'SMTP server for mail (reset and verification links); unset: mails are logged',
    }),
  ),
  AUTH_MAIL_FROM: str({
    default: 'Blueprints <no-reply@localhost>',
    maxLength: 320,
    doc: 'From of the mails sent',
  }),
  AUTH_VERIFY_TTL_S: int({
    default: 172_800,
    min: 300,
    max: 30 * 86_400,
    doc: 'how long an email verification link works',
  }),
  AUTH_MFA_REQUIRED: bool({
    default: false,
    doc: 'every account needs a second factor: one without enrols at its next sign-in (else only accounts an admin marks mfaRequired)',
  }),
  AUTH_SIGNUP_ENABLED: bool({
    default: true,
    doc: 'people may make their own account at /auth/signup (email verified by a link); false: only admins and invitations make accounts',
  }),
  AUTH_INVITE_TTL_S: int({
    default: 7 * 86_400,
    min: 300,
    max: 90 * 86_400,
    doc: 'how long an invitation to an organisation works',
  }),
  AUTH_RESET_TTL_S: int({ default: 1800, min: 60, max: 86_400, doc: 'how long a password reset link works' }),
}
