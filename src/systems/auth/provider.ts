/**
 * The running oidc-provider instance. The provider takes its issuer and its
 * signing keys at construction, so this holder builds a new one when either
 * changes (the public URL becomes known when the server listens; a key
 * rotation here or in another process changes the key set). Every artifact
 * lives in PostgreSQL, so nothing is lost when one instance replaces another.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JWK } from 'jose'
import type { Adapter, default as ProviderType } from 'oidc-provider'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { Accounts } from './accounts.js'
import type { AuditLog } from './audit.js'
import { secretMatches } from './clients.js'
import { type JwtAccessTokens, publicJwks } from './jwt-tokens.js'
import type { KeySet, SigningKeys } from './keys.js'
import { errors, Provider } from './oidc-provider.js'
import { type ProviderConfigOptions, providerConfiguration } from './provider.config.js'

export interface OidcProviderOptions {
  prefix: string
  adapter: (model: string) => Adapter
  accounts: Pick<Accounts, 'byId'>
  orgs: ProviderConfigOptions['orgs']
  keys: SigningKeys
  cookieKeys: string[]
  defaultAudience: () => string
  resources: readonly string[]
  apiScopes: readonly string[]
  ttl: ProviderConfigOptions['ttl']
  jwtTokens: JwtAccessTokens
  audit: AuditLog
  log: Logger
  /** Called with each finished provider request (route name, status), for metrics. */
  onRequest?: (route: string, status: number) => void
}

interface Built {
  provider: ProviderType
  issuer: string
  version: string
  callback: (req: IncomingMessage, res: ServerResponse) => void
}

export class OidcProvider {
  private built: Built | undefined
  private keySet: KeySet | undefined
  private published: { version: string; jwks: { keys: JWK[] } } | undefined

  constructor(private readonly o: OidcProviderOptions) {}

  /** Reread the signing keys; the next request builds a new provider if they changed. */
  async reloadKeys(): Promise<KeySet> {
    this.keySet = await this.o.keys.load()
    return this.keySet
  }

  /**
   * The JWKS document as published: the same object until the keys change (what an in-process
   * verifier caches its imported keys by, platform/auth's local issuers).
   */
  publicJwks(): { keys: JWK[] } {
    const keySet = this.keySet
    if (!keySet) throw new Error('OidcProvider.reloadKeys() must run before the keys are read')
    if (this.published?.version !== keySet.version)
      this.published = { version: keySet.version, jwks: publicJwks(keySet.keys) }
    return this.published.jwks
  }

  /** The kid that signs now. */
  get currentKid(): string | undefined {
    return this.keySet?.currentKid
  }

  /** The provider for `issuer`, built when the issuer or the key set changed. */
  get(issuer: string): Built {
    const keySet = this.keySet
    if (!keySet) throw new Error('OidcProvider.reloadKeys() must run before the first request')
    const b = this.built
    if (b && b.issuer === issuer && b.version === keySet.version) return b
    const provider = this.build(issuer, keySet)
    this.built = { provider, issuer, version: keySet.version, callback: provider.callback() }
    return this.built
  }

  private build(issuer: string, keySet: KeySet): ProviderType {
    const o = this.o
    const provider = new Provider(
      issuer,
      providerConfiguration({
        issuer,
        prefix: o.prefix,
        adapter: o.adapter,
        accounts: o.accounts,
        orgs: o.orgs,
        keys: keySet.keys,
        cookieKeys: o.cookieKeys,
        defaultAudience: o.defaultAudience(),
        resources: [o.defaultAudience(), ...o.resources],
        apiScopes: o.apiScopes,
        ttl: o.ttl,
        errors,
      }),
    )
    // Endpoint URLs come from the issuer (PUBLIC_URL): the mount rewrites Host and X-Forwarded-*
    // to it, and the provider must read them.
    provider.proxy = true
    // Stored client secrets are hashes (clients.ts); compare the presented secret's hash.
    provider.Client.prototype.compareClientSecret = function (
      this: { clientSecret?: string },
      actual: string,
    ) {
      return secretMatches(this.clientSecret, actual)
    }
    provider.use(o.jwtTokens.middleware(() => keySet.keys))
    provider.use(async (ctx, next) => {
      await next()
      // RFC 6749 section 5.2 names this case unauthorized_client; oidc-provider says invalid_request.
      const body = ctx.body as { error?: string; error_description?: string } | undefined
      if (
        ctx.status === 400 &&
        body?.error_description === 'requested grant type is not allowed for this client'
      )
        body.error = 'unauthorized_client'
      // Koa's bare 404 (an unknown path under the prefix) as problem+json like the rest of the API.
      if (ctx.status === 404 && !ctx.body) {
        ctx.status = 404
        ctx.type = 'application/problem+json'
        ctx.body = {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          code: 'NOT_FOUND',
          detail: `no route ${ctx.method} ${ctx.path}`,
        }
      }
      o.onRequest?.(ctx.oidc?.route ?? 'unknown', ctx.status)
    })
    this.listen(provider)
    return provider
  }

  /** Security events and unexpected errors from the provider go to the audit log and the log. */
  private listen(provider: ProviderType): void {
    const { audit, log } = this.o
    provider.on('grant.error', (ctx, err) => {
      const detail = (err as { error_detail?: string }).error_detail ?? ''
      if (ctx.oidc.params?.grant_type === 'refresh_token' && /already used/.test(detail))
        void audit.record({
          event: 'refresh_token.reused',
          clientId: ctx.oidc.client?.clientId,
          userId: ctx.oidc.entities.RefreshToken?.accountId,
          ip: ctx.ip,
          detail: { grantId: ctx.oidc.entities.RefreshToken?.grantId },
        })
    })
    provider.on('grant.revoked', (ctx, grantId) => {
      void audit.record({
        event: 'grant.revoked',
        clientId: ctx?.oidc?.client?.clientId,
        detail: { grantId, route: ctx?.oidc?.route },
      })
    })
    provider.on('end_session.success', (ctx) => {
      void audit.record({
        event: 'logout',
        clientId: ctx.oidc.client?.clientId,
        userId: ctx.oidc.session?.accountId,
        ip: ctx.ip,
      })
    })
    provider.on('server_error', (_ctx, err) => log.error({ err }, 'oidc-provider server error'))
  }
}
