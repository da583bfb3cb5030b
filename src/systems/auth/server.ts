/**
 * The running auth system: parts, bootstrap (AUTH_INITIAL_*), routes and workers. Loaded by
 * `index.ts` only when the system runs, so that processes running other systems do not load
 * oidc-provider.
 */

import { registerLocalIssuer, TokenVerifier } from '../../platform/auth/index.js'
import { createRateLimiter } from '../../platform/rate-limit/index.js'
import { ConfigError } from '../../platform/settings.js'
import type { SystemContext, SystemInstance, Worker } from '../../platform/system.js'
import { Counter } from '../../platform/telemetry/metrics.js'
import { accountRoutes } from './account.routes.js'
import { sweepExpired } from './adapter.pg.js'
import { adminRoutes } from './admin.routes.js'
import { emailRoutes } from './email.routes.js'
import { EmailVerifications } from './email-verification.js'
import { interactionRoutes } from './interactions.routes.js'
import { invitationRoutes } from './invitation.routes.js'
import { Invitations } from './invitations.js'
import { createMailer, type Mail, SEND_MAIL_TASK } from './mail.js'
import { type AuthParts, PREFIX, partsFor } from './parts.js'
import { passwordRoutes } from './password.routes.js'
import { PasswordResets } from './password-reset.js'
import { PasswordHasher } from './passwords.js'
import { mountProvider } from './provider.mount.js'
import type { settings } from './settings.js'
import { SignUps } from './signup.js'
import { signUpRoutes } from './signup.routes.js'

/** A worker that runs `tick` every `ms` (one at a time), logging its failures. */
function everyMs(
  name: string,
  ms: number,
  tick: () => Promise<void>,
  log: { warn: (o: object, m: string) => void },
): Worker {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const run = () => {
    running ??= tick()
      .catch((err) => log.warn({ err }, `${name} failed`))
      .finally(() => {
        running = undefined
      })
  }
  return {
    name,
    async start() {
      timer = setInterval(run, ms)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}

/** Build the system for `ctx`: what `defineSystem`'s create returns. */
export async function createAuth(ctx: SystemContext<typeof settings>): Promise<SystemInstance> {
  const s = ctx.settings
  if ((s.AUTH_INITIAL_CLIENT_ID === undefined) !== (s.AUTH_INITIAL_CLIENT_SECRET === undefined))
    throw new ConfigError('AUTH_INITIAL_CLIENT_ID and AUTH_INITIAL_CLIENT_SECRET are set together')
  if ((s.AUTH_INITIAL_ADMIN_EMAIL === undefined) !== (s.AUTH_INITIAL_ADMIN_PASSWORD === undefined))
    throw new ConfigError('AUTH_INITIAL_ADMIN_EMAIL and AUTH_INITIAL_ADMIN_PASSWORD are set together')

  const requests = new Counter({
    name: 'auth_oidc_requests_total',
    help: 'Requests answered by the OpenID provider, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [ctx.metrics.registry],
  })
  const mfaChecks = new Counter({
    name: 'auth_mfa_checks_total',
    help: 'Second-factor codes checked, by step (verify, enrol) and result (ok, wrong, locked)',
    labelNames: ['step', 'result'] as const,
    registers: [ctx.metrics.registry],
  })
  const p: AuthParts = await partsFor(ctx, {
    onRequest: (route, status) => requests.inc({ route, status: String(status) }),
    onMfaCheck: (step, result) => mfaChecks.inc({ step, result }),
  })

  if (s.AUTH_INITIAL_CLIENT_ID && s.AUTH_INITIAL_CLIENT_SECRET) {
    const { provider } = p.holder.get(p.issuer())
    const created = await p.clients.ensure(
      {
        clientId: s.AUTH_INITIAL_CLIENT_ID,
        name: 'initial client (AUTH_INITIAL_CLIENT_ID)',
        grantTypes: ['client_credentials'],
        secret: s.AUTH_INITIAL_CLIENT_SECRET,
        // The bootstrap client is how a first script reaches the admin API: it may ask for every scope.
        scope: s.AUTH_API_SCOPES.join(' '),
      },
      (m) => provider.Client.validate(m as never),
    )
    if (created)
      ctx.log.info(
        { clientId: s.AUTH_INITIAL_CLIENT_ID },
        'created the client given in AUTH_INITIAL_CLIENT_ID',
      )
  }
  if (s.AUTH_INITIAL_ADMIN_EMAIL && s.AUTH_INITIAL_ADMIN_PASSWORD) {
    const created = await p.accounts.ensure({
      email: s.AUTH_INITIAL_ADMIN_EMAIL,
      password: s.AUTH_INITIAL_ADMIN_PASSWORD,
      isAdmin: true,
      emailVerified: true,
    })
    if (created) ctx.log.info('created the admin given in AUTH_INITIAL_ADMIN_EMAIL')
  }

  const rotationS = s.AUTH_KEY_ROTATION_DAYS * 86_400
  const keysWorker = everyMs(
    'auth:signing-keys',
    s.AUTH_KEYS_REFRESH_MS,
    async () => {
      if (rotationS > 0) {
        try {
          const r = await p.keys.rotate({ ifOlderThanS: rotationS })
          if (r) await p.audit.record({ event: 'key.rotated', detail: { ...r, scheduled: true } })
        } catch (err) {
          ctx.log.warn({ err }, 'scheduled signing key rotation postponed')
        }
      }
      for (const kid of await p.keys.deleteExpired())
        await p.audit.record({ event: 'key.deleted', detail: { kid } })
      await p.holder.reloadKeys()
    },
    ctx.log,
  )
  const sweeper = everyMs(
    'auth:expired-artifacts',
    60_000,
    async () => {
      await sweepExpired(ctx.db)
      await p.orgs.sweepGrants()
      await p.mfa.sweep()
    },
    ctx.log,
  )

  const mailer = createMailer(s.AUTH_SMTP_URL, s.AUTH_MAIL_FROM, ctx.log)
  const resets = new PasswordResets({
    db: ctx.db,
    jobs: ctx.jobs,
    hasher: new PasswordHasher(),
    audit: p.audit,
    // Five links an hour per email and per IP: enough for a person, useless for mail bombing.
    throttle: createRateLimiter({
      algorithm: 'fixed-window',
      limit: 5,
      periodMs: 3_600_000,
      store: ctx.redis ? { redis: ctx.redis, namespace: 'auth-reset' } : 'memory',
    }),
    linkFor: (token) => `${p.issuer()}/password/reset?token=${encodeURIComponent(token)}`,
    ttlS: s.AUTH_RESET_TTL_S,
  })

  const verifications = new EmailVerifications({
    db: ctx.db,
    jobs: ctx.jobs,
    audit: p.audit,
    linkFor: (token) => `${p.issuer()}/email/verify?token=${encodeURIComponent(token)}`,
    ttlS: s.AUTH_VERIFY_TTL_S,
  })

  const signUps = new SignUps({
    db: ctx.db,
    jobs: ctx.jobs,
    accounts: p.accounts,
    verifications,
    audit: p.audit,
    // Ten accounts an hour per IP: enough for an office behind one address, little for a bot.
    throttle: createRateLimiter({
      algorithm: 'fixed-window',
      limit: 10,
      periodMs: 3_600_000,
      store: ctx.redis ? { redis: ctx.redis, namespace: 'auth-signup' } : 'memory',
    }),
    forgotUrl: () => `${p.issuer()}/password/forgot`,
  })

  const invitations = new Invitations({
    db: ctx.db,
    jobs: ctx.jobs,
    audit: p.audit,
    orgs: p.orgs,
    hasher: new PasswordHasher(),
    linkFor: (token) => `${p.issuer()}/invitations/accept?token=${encodeURIComponent(token)}`,
    ttlS: s.AUTH_INVITE_TTL_S,
  })

  // Verifiers of this process (platform/auth) read our keys from memory instead of over HTTP.
  const unregisterIssuer = registerLocalIssuer({
    issuer: p.issuer,
    jwks: () => p.holder.publicJwks(),
    refresh: async () => void (await p.holder.reloadKeys()),
  })

  return {
    tasks: {
      [SEND_MAIL_TASK]: {
        description:
          'send one mail (a password reset, email verification or invitation link) through AUTH_SMTP_URL',
        timeoutMs: 30_000,
        validate(payload) {
          const m = payload as Partial<Mail>
          if (typeof m?.to !== 'string' || typeof m.subject !== 'string' || typeof m.text !== 'string')
            throw new Error('a mail needs to, subject and text')
        },
        async handler(payload) {
          await mailer.send(payload as Mail)
          return { sent: true }
        },
      },
    },
    async close() {
      unregisterIssuer()
      mailer.close()
    },
    async routes(app) {
      // The admin API trusts this issuer's tokens for the default audience (keys read in memory).
      const verifier = new TokenVerifier({
        issuer: p.issuer,
        audience: p.defaultAudience,
        algorithms: ['RS256'],
      })
      await adminRoutes(app, {
        parts: p,
        verifier,
        verifications,
        invitations,
        metrics: ctx.metrics.registry,
      })
      emailRoutes(app, { verifications, prefix: PREFIX })
      invitationRoutes(app, { invitations, prefix: PREFIX })
      if (s.AUTH_SIGNUP_ENABLED) signUpRoutes(app, { signUps, csrfKey: p.csrfKey, prefix: PREFIX })
      passwordRoutes(app, { resets, csrfKey: p.csrfKey, prefix: PREFIX, ttlS: s.AUTH_RESET_TTL_S })
      const pageDeps = {
        holder: p.holder,
        issuer: p.issuer,
        accounts: p.accounts,
        mfa: p.mfa,
        passkeys: p.passkeys,
        orgs: p.orgs,
        audit: p.audit,
        csrfKey: p.csrfKey,
        prefix: PREFIX,
        signUp: s.AUTH_SIGNUP_ENABLED,
      }
      interactionRoutes(app, pageDeps)
      accountRoutes(app, { ...pageDeps, sessions: p.sessions })
      await mountProvider(app, { holder: p.holder, issuer: p.issuer, prefix: PREFIX })
    },
    workers: [keysWorker, sweeper],
    ready: async () => {
      await ctx.db.ping()
    },
  }
}
