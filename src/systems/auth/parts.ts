/**
 * The parts of the auth system built from a context: stores -> registries
 * -> the provider holder. Shared by `create` (the server) and the CLI
 * commands, so both check and write the same way.
 */
import type { SystemContext } from '../../platform/system.js'
import { Accounts } from './accounts.js'
import { createUserStore } from './accounts.store.pg.js'
import { pgAdapterFactory } from './adapter.pg.js'
import { AuditLog } from './audit.js'
import { LoginThrottle } from './brute-force.js'
import { ClientRegistry, type CreatedClient, type NewClient } from './clients.js'
import { createClientStore } from './clients.store.pg.js'
import { JwtAccessTokens } from './jwt-tokens.js'
import { type Rotation, SigningKeys } from './keys.js'
import { Mfa } from './mfa.js'
import { Organisations } from './organisations.js'
import { Passkeys } from './passkeys.js'
import { PasswordHasher } from './passwords.js'
import { ADMIN_SCOPE, PREFIX } from './paths.js'
import { OidcProvider } from './provider.js'
import { installationSecret } from './secrets.js'
import { Sessions } from './sessions.js'
import type { settings } from './settings.js'

export { ADMIN_SCOPE, PREFIX }

/** The OpenID scopes every client may ask for. */
export const STANDARD_SCOPES = ['openid', 'offline_access', 'email', 'profile'] as const

export interface AuthParts {
  clients: ClientRegistry
  keys: SigningKeys
  accounts: Accounts
  mfa: Mfa
  passkeys: Passkeys
  orgs: Organisations
  audit: AuditLog
  holder: OidcProvider
  jwtTokens: JwtAccessTokens
  sessions: Sessions
  csrfKey: string
  /** `${PUBLIC_URL}/auth` */
  issuer(): string
  /** Create a client (audited, `actor`: who asked, when not the CLI). */
  createClient(input: NewClient, actor?: string): Promise<CreatedClient>
  rotateKeys(force: boolean, actor?: string): Promise<Rotation>
  /** The audience of access tokens whose request names no resource (AUTH_DEFAULT_AUDIENCE). */
  defaultAudience(): string
}

export interface PartsOptions {
  onRequest?: (route: string, status: number) => void
  onMfaCheck?: (step: 'verify' | 'enrol', result: 'ok' | 'wrong' | 'locked') => void
}

const built = new WeakMap<object, Promise<AuthParts>>()

/**
 * The parts of the system running with `ctx`: built once per context, so that a CLI command run
 * inside the server (through the data folder's socket) uses the server's own provider, and a key
 * rotation it makes applies to that server at once.
 */
export function partsFor(ctx: SystemContext<typeof settings>, opts: PartsOptions = {}): Promise<AuthParts> {
  let p = built.get(ctx)
  if (!p) {
    p = buildParts(ctx, opts)
    built.set(ctx, p)
    p.catch(() => built.delete(ctx))
  }
  return p
}

async function buildParts(ctx: SystemContext<typeof settings>, opts: PartsOptions): Promise<AuthParts> {
  const s = ctx.settings
  const db = ctx.db
  const audit = new AuditLog(db, ctx.log)
  const clients = new ClientRegistry(
    createClientStore(db),
    s.AUTH_CLIENT_CACHE_MS,
    [...STANDARD_SCOPES, ...s.AUTH_API_SCOPES.filter((x) => x !== ADMIN_SCOPE)].join(' '),
  )
  const ttl = {
    accessTokenS: s.AUTH_ACCESS_TOKEN_TTL_S,
    idTokenS: s.AUTH_ID_TOKEN_TTL_S,
    refreshTokenS: s.AUTH_REFRESH_TOKEN_TTL_S,
    sessionS: s.AUTH_SESSION_TTL_S,
  }
  const keys = new SigningKeys(db, {
    publishLeadS: s.AUTH_KEY_PUBLISH_LEAD_S,
    // A retired key stays published while a token it signed may be alive, plus clock skew.
    retiredPublishS: Math.max(ttl.accessTokenS, ttl.idTokenS) + 60,
  })
  await keys.ensure()
  const throttle = new LoginThrottle({
    attempts: s.AUTH_LOGIN_ATTEMPTS,
    lockoutMs: s.AUTH_LOGIN_LOCKOUT_S * 1000,
    ...(ctx.redis && { redis: ctx.redis }),
  })
  const mfa = new Mfa({
    db,
    audit,
    // Wrong second-factor codes lock out as wrong passwords do, on counters of their own.
    throttle: new LoginThrottle({
      attempts: s.AUTH_LOGIN_ATTEMPTS,
      lockoutMs: s.AUTH_LOGIN_LOCKOUT_S * 1000,
      namespace: 'auth-mfa',
      ...(ctx.redis && { redis: ctx.redis }),
    }),
    requiredForAll: s.AUTH_MFA_REQUIRED,
    ...(opts.onMfaCheck && { onCheck: opts.onMfaCheck }),
  })
  const accounts = new Accounts(createUserStore(db), new PasswordHasher(), throttle, audit, (u) =>
    mfa.dueFor(u),
  )
  const jwtTokens = new JwtAccessTokens(db)
  const orgs = new Organisations(db, audit)
  const issuer = () => `${ctx.publicUrl().replace(/\/+$/, '')}${PREFIX}`
  const defaultAudience = () => s.AUTH_DEFAULT_AUDIENCE ?? ctx.publicUrl().replace(/\/+$/, '')
  const holder = new OidcProvider({
    prefix: PREFIX,
    adapter: pgAdapterFactory({ db, clients, refreshReuseGraceMs: s.AUTH_REFRESH_REUSE_GRACE_MS }),
    accounts,
    orgs,
    keys,
    cookieKeys: [await installationSecret(db, 'cookie_key')],
    defaultAudience,
    resources: s.AUTH_RESOURCES,
    apiScopes: s.AUTH_API_SCOPES,
    ttl,
    jwtTokens,
    audit,
    log: ctx.log,
    ...(opts.onRequest && { onRequest: opts.onRequest }),
  })
  await holder.reloadKeys()
  const csrfKey = await installationSecret(db, 'csrf_key')

  return {
    clients,
    keys,
    accounts,
    mfa,
    passkeys: new Passkeys({ db, audit, issuer }),
    orgs,
    audit,
    holder,
    jwtTokens,
    sessions: new Sessions(db),
    csrfKey,
    issuer,
    async createClient(input, actor) {
      const { provider } = holder.get(issuer())
      const created = await clients.create(input, (m) => provider.Client.validate(m as never))
      await audit.record({ event: 'client.created', clientId: created.clientId, actor })
      return created
    },
    defaultAudience,
    async rotateKeys(force, actor) {
      const r = (await keys.rotate({ force }))!
      await audit.record({ event: 'key.rotated', actor, detail: { ...r, forced: force } })
      await holder.reloadKeys()
      return r
    },
  }
}
