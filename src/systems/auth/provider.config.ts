/**
 * oidc-provider's configuration: which protocol features are on, how long
 * each artifact lives, where tokens may be used (resource indicators, JWT
 * access tokens per RFC 9068), how accounts are found, and the pages the
 * provider itself renders (errors, sign-out). Everything protocol-shaped is
 * oidc-provider's; this file only chooses.
 */
import type {
  Adapter,
  Configuration,
  JWK,
  KoaContextWithOIDC,
  errors as ProviderErrors,
  ResourceServer,
} from 'oidc-provider'
import type { Accounts } from './accounts.js'
import { interactionPolicy } from './oidc-provider.js'
import type { Organisations } from './organisations.js'
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loggedOutPage,
  logoutPage,
  pageHeaders,
} from './views.js'

export interface ProviderConfigOptions {
  /** `${PUBLIC_URL}/auth` */
  issuer: string
  /** Path the provider is mounted under (`/auth`). */
  prefix: string
  adapter: (model: string) => Adapter
  accounts: Pick<Accounts, 'byId'>
  orgs: Pick<Organisations, 'grantOrg' | 'membership'>
  /** Private signing keys, the one that signs first. */
  keys: JWK[]
  cookieKeys: string[]
  /** Audience of access tokens whose request names no resource. */
  defaultAudience: string
  /** Every resource indicator clients may ask tokens for (the default audience included). */
  resources: readonly string[]
  apiScopes: readonly string[]
  ttl: { accessTokenS: number; idTokenS: number; refreshTokenS: number; sessionS: number }
  errors: typeof ProviderErrors
}

/** The routes under the mount prefix (oidc-provider's defaults, renamed where they read badly under /auth). */
export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  jwks: '/jwks',
  userinfo: '/userinfo',
  introspection: '/introspect',
  revocation: '/revoke',
  end_session: '/logout',
  device_authorization: '/device/auth',
  code_verification: '/device',
} as const

/** Page headers set on a Koa context (pages oidc-provider renders). */
function setPageHeaders(ctx: KoaContextWithOIDC): void {
  for (const [k, v] of Object.entries(pageHeaders())) ctx.set(k, v)
}

/** The acr of a sign-in with a second factor (`acr_values=mfa` asks for one); `pwd` otherwise. */
export const ACR_MFA = 'mfa'

/**
 * The account page's own client (`account.routes.ts`): a public client with PKCE whose only
 * redirect is the account page, configured statically (its redirect follows the issuer) and
 * granted `openid` without a consent page, since it is this system itself.
 */
export const ACCOUNT_CLIENT_ID = 'auth-account-page'
export const ACCOUNT_CALLBACK = '/account/callback'

/** The authorization request parameter that names the organisation tokens are for. */
export const ORG_PARAM = 'organization'
const ORG_ID = /^[A-Za-z0-9_-]{1,100}$/

/**
 * The interaction policy: oidc-provider's, plus a consent check that asks again when the request
 * names an organisation other than the one the grant was given for (consent records it, and checks
 * membership: interactions.routes.ts).
 */
function policyWithOrganisations(orgs: ProviderConfigOptions['orgs']) {
  const { Check, base } = interactionPolicy
  const policy = base()
  // acr_values=mfa: the client needs a second factor. A session signed in without one signs in
  // again (and an account without one enrols: interactions.routes.ts).
  policy.get('login')!.checks.add(
    new Check('mfa_requested', 'a second factor was asked for', (ctx) => {
      const wanted = String(ctx.oidc.params?.acr_values ?? '')
        .split(' ')
        .includes(ACR_MFA)
      return wanted && ctx.oidc.acr !== ACR_MFA ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT
    }),
  )
  policy.get('consent')!.checks.add(
    new Check(
      'organization_not_granted',
      'the organisation asked for is not the one granted',
      async (ctx) => {
        const org = ctx.oidc.params?.[ORG_PARAM]
        if (typeof org !== 'string' || !org) return Check.NO_NEED_TO_PROMPT
        const grantId = ctx.oidc.grant?.jti
        if (grantId && (await orgs.grantOrg(grantId)) === org) return Check.NO_NEED_TO_PROMPT
        return Check.REQUEST_PROMPT
      },
      (ctx) => ({ organization: ctx.oidc.params?.[ORG_PARAM] }),
    ),
  )
  return policy
}

export function providerConfiguration(o: ProviderConfigOptions): Configuration {
  const resources = new Set(o.resources)
  const resourceServer = (audience: string): ResourceServer => ({
    scope: o.apiScopes.join(' '),
    audience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: o.ttl.accessTokenS,
    jwt: { sign: { alg: 'RS256' } },
  })

  return {
    adapter: o.adapter,
    clients: [
      {
        client_id: ACCOUNT_CLIENT_ID,
        client_name: 'Your account',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${o.issuer}${ACCOUNT_CALLBACK}`],
        scope: 'openid',
      },
    ],
    // oidc-provider's default, plus a grant made at once for the account page (first party).
    async loadExistingGrant(ctx) {
      const { client, session, provider } = ctx.oidc
      const grantId = ctx.oidc.result?.consent?.grantId || session?.grantIdFor(client!.clientId)
      if (grantId) return provider.Grant.find(grantId)
      if (client?.clientId !== ACCOUNT_CLIENT_ID || !session?.accountId) return undefined
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId })
      grant.addOIDCScope('openid')
      await grant.save()
      return grant
    },
    jwks: { keys: o.keys },
    cookies: {
      keys: o.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    async findAccount(_ctx, id) {
      const user = await o.accounts.byId(id)
      if (!user || user.disabled) return undefined
      return {
        accountId: user.id,
        async claims() {
          return {
            sub: user.id,
            email: user.email,
            email_verified: user.emailVerified,
            ...(user.name && { name: user.name }),
          }
        },
      }
    },
    // An admin account's access tokens say so (`roles`), for resource servers that check roles.
    // A token of a grant given for an organisation carries `org_id`, the member's roles there
    // (`org_roles`) and their permissions, read now: a change applies at the next refresh, and a
    // member removed since cannot get a token for the organisation any more.
    async extraTokenClaims(_ctx, token) {
      const { accountId, grantId } = token as { accountId?: string; grantId?: string }
      if (!accountId) return undefined
      const user = await o.accounts.byId(accountId)
      const claims: Record<string, unknown> = user?.isAdmin ? { roles: ['admin'] } : {}
      const orgId = grantId ? await o.orgs.grantOrg(grantId) : undefined
      if (orgId) {
        const m = await o.orgs.membership(orgId, accountId)
        if (!m) throw new o.errors.InvalidGrant('the account is not a member of the organisation any more')
        Object.assign(claims, { org_id: orgId, org_roles: m.roles, permissions: m.permissions })
      }
      return Object.keys(claims).length > 0 ? claims : undefined
    },
    acrValues: ['pwd', ACR_MFA],
    // acr (pwd or mfa) and amr (RFC 8176: pwd, otp, mfa) in every ID token: how the user signed in, for clients that
    // require a second factor.
    claims: { openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'email', 'profile', ...o.apiScopes],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    // The redirect_uri must always be sent and match a registered one exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: ROUTES,
    interactions: {
      url: (_ctx, interaction) => `${o.prefix}/interaction/${interaction.uid}`,
      policy: policyWithOrganisations(o.orgs),
    },
    // `organization=<id>`: the organisation the tokens are for (README, Organisations).
    extraParams: {
      async [ORG_PARAM](_ctx, value) {
        if (value !== undefined && (typeof value !== 'string' || !ORG_ID.test(value)))
          throw new o.errors.InvalidRequest(`${ORG_PARAM} must be an organisation id`)
      },
    },
    // Always rotate: a refresh token is good once; a second use revokes the whole grant.
    rotateRefreshToken: true,
    clockTolerance: 5,
    ttl: {
      AccessToken: o.ttl.accessTokenS,
      ClientCredentials: o.ttl.accessTokenS,
      IdToken: o.ttl.idTokenS,
      RefreshToken: o.ttl.refreshTokenS,
      Session: o.ttl.sessionS,
      Grant: o.ttl.refreshTokenS,
      Interaction: 3600,
      AuthorizationCode: 60,
      DeviceCode: 600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A confidential client (a resource server) may introspect any token; a public one its own.
        async allowedPolicy(_ctx, client, token) {
          return client.clientAuthMethod !== 'none' || token.clientId === client.clientId
        },
      },
      revocation: {
        enabled: true,
        // Only the client a token was issued to may revoke it; others are refused (public clients
        // silently, so that they cannot probe for valid tokens).
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true
          if (client.clientAuthMethod === 'none') return false
          throw new o.errors.InvalidRequest('client is not authorized to revoke the presented token')
        },
      },
      userinfo: { enabled: true },
      // RFC 9449: a client that sends a DPoP proof gets sender-constrained tokens (cnf.jkt); optional.
      dPoP: { enabled: true },
      // RFC 8628, for CLIs and TVs: the device shows a code, the user types it at /auth/device.
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, _out, err) {
          setPageHeaders(ctx)
          const e = err as { userCode?: string; name?: string } | undefined
          const error = !e
            ? undefined
            : e.userCode || e.name === 'NoCodeError'
              ? 'That code is not right, or has expired. Try again.'
              : e.name === 'AbortedError'
                ? 'The sign-in was aborted.'
                : 'Something went wrong. Try again.'
          ctx.body = deviceInputPage(form, error)
        },
        async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
          setPageHeaders(ctx)
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode)
        },
        async successSource(ctx) {
          setPageHeaders(ctx)
          ctx.body = deviceSuccessPage(ctx.oidc.client?.clientName)
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          setPageHeaders(ctx)
          // The provider's form carries only its xsrf field; the page adds the buttons.
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName)
        },
        async postLogoutSuccessSource(ctx) {
          setPageHeaders(ctx)
          ctx.body = loggedOutPage(ctx.oidc.client?.clientName)
        },
      },
      resourceIndicators: {
        enabled: true,
        // An OpenID request with no resource gets a token for the UserInfo endpoint, as OIDC
        // clients expect; any other (client credentials, plain OAuth) the default audience.
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf.length === 1 ? oneOf[0]! : oneOf
          const scope = String(ctx.oidc.params?.scope ?? '')
          if (scope.split(' ').includes('openid')) return undefined as unknown as string
          return o.defaultAudience
        },
        async getResourceServerInfo(_ctx, indicator) {
          if (!resources.has(indicator)) throw new o.errors.InvalidTarget()
          return resourceServer(indicator)
        },
        async useGrantedResource() {
          return true
        },
      },
    },
    async renderError(ctx, out) {
      setPageHeaders(ctx)
      ctx.body = errorPage('Sign-in failed', { ...out })
    },
  }
}
