/**
 * JWT validation against any OpenID Connect issuer, by its published keys (platform/auth's
 * TokenVerifier: discovery, JWKS cached and refetched on an unknown kid, asymmetric algorithms
 * only). Named and shaped after the bearer-token part of Kong's (enterprise) `openid-connect`
 * plugin: `issuer`, `audience_required`, `scopes_required`. The principal's `sub` becomes the
 * consumer when a consumer has it as `custom_id` or `username` (Kong's `consumer_claim`).
 */
import { missingScopes, TokenVerifier } from '../../../platform/auth/index.js'
import { s } from '../config/fields.js'
import type { Plugin } from '../config/types.js'
import { setConsumerHeaders } from './consumer-headers.js'
import type { PluginDefinition, RequestState } from './types.js'

interface Conf {
  issuer: string
  audience_required: string[]
  scopes_required: string[] | null
  jwks_uri: string | null
  require_at_jwt: boolean
}

export const openidConnect: PluginDefinition = {
  name: 'openid-connect',
  priority: 1050,
  schema: {
    issuer: s.str({ max: 2048, required: true, pattern: /^https?:\/\//, why: 'must be an http(s) URL' }),
    audience_required: { t: 'array', of: s.str({ max: 512 }), required: true },
    scopes_required: s.arr(s.str({ max: 256 })),
    jwks_uri: s.str({ max: 2048, pattern: /^https?:\/\//, why: 'must be an http(s) URL' }),
    require_at_jwt: s.bool(false),
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const verifier = new TokenVerifier({
      issuer: c.issuer,
      audience: c.audience_required,
      requireAtJwt: c.require_at_jwt,
      jwksUri: c.jwks_uri ?? undefined,
    })
    const challenge = `Bearer realm="kong"`
    return {
      entity,
      async access(st: RequestState) {
        const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(st.req.headers.authorization ?? '')
        if (!m) return { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': challenge } }
        const r = await verifier.verify(m[1]!)
        if (!r.ok) {
          if (r.error === 'unavailable')
            return { status: 503, message: 'The identity provider is unavailable' }
          return {
            status: 401,
            message: 'Unauthorized',
            headers: {
              'www-authenticate': `${challenge}, error="invalid_token", error_description="${r.description}"`,
            },
          }
        }
        if (c.scopes_required?.length && missingScopes(r.principal, c.scopes_required).length > 0)
          return {
            status: 403,
            message: 'Forbidden',
            headers: {
              'www-authenticate': `${challenge}, error="insufficient_scope", scope="${c.scopes_required.join(' ')}"`,
            },
          }
        const consumer = st.lookup.consumer(r.principal.sub)
        if (consumer) {
          st.consumer = consumer
          st.credential = { id: r.principal.sub }
          setConsumerHeaders(st, consumer, r.principal.sub)
        } else st.credential = { id: r.principal.sub }
        st.upstreamHeaders['x-authenticated-sub'] = r.principal.sub
        return undefined
      },
    }
  },
}
