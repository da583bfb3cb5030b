/**
 * The peer of the auth benchmark: bare oidc-provider, standalone (its own Koa server), with its
 * in-memory adapter and a static client, configured for the same work as the system: client
 * credentials with RS256 JWT access tokens for one resource, introspection, revocation. Its
 * introspection takes opaque tokens only, so with BARE_OPAQUE=1 it issues opaque tokens (kept in
 * its memory adapter) for the introspection scenario.
 *
 * Environment: PORT (0: a free one), BARE_CLIENT_ID, BARE_CLIENT_SECRET, BARE_OPAQUE.
 * Prints `{"listening":"http://127.0.0.1:<port>"}` once it listens; exits on SIGTERM.
 */
import { exportJWK, generateKeyPair } from 'jose'
import { errors, Provider } from '../oidc-provider.js'

const env = process.env
const issuer = 'http://127.0.0.1'
const audience = 'http://127.0.0.1/api'
const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' }

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env.BARE_CLIENT_ID ?? 'bench',
      client_secret: env.BARE_CLIENT_SECRET ?? 'bench-secret-0123456789',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['api:read', 'api:write'],
  // The same paths as the system's (oidc-provider's defaults are /token/introspection and /token/revocation).
  routes: { introspection: '/introspect', revocation: '/revoke' },
  ttl: { ClientCredentials: 600, AccessToken: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== audience) throw new errors.InvalidTarget()
        return {
          scope: 'api:read api:write',
          audience,
          accessTokenTTL: 600,
          accessTokenFormat: env.BARE_OPAQUE === '1' ? 'opaque' : 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }
      },
    },
  },
})

const server = provider.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${port}` }))
})
const stop = () => server.close(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
