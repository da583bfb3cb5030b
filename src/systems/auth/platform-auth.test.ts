/**
 * platform/auth against this system's real tokens: in the same process (keys read from memory,
 * no HTTP), and as a remote resource server would (discovery and JWKS over HTTP), before and after
 * key rotations that give the verifier's cache a kid it has never seen.
 */
import * as jose from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenVerifier, verifierFromSettings } from '../../platform/auth/index.js'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, CC_CLIENT, cli, discover } from './testing.js'

const defaults = {
  AUTH_ISSUER: undefined,
  AUTH_AUDIENCE: undefined,
  AUTH_JWKS_URI: undefined,
  AUTH_ALGORITHMS: ['RS256'],
  AUTH_CLOCK_TOLERANCE_S: 5,
  AUTH_REQUIRE_AT_JWT: true,
  AUTH_JWKS_CACHE_S: 600,
}

describe.each(backends())('platform/auth with the auth system (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  }, 180_000)
  afterAll(() => t.close())

  const token = async (scope = 'api:read') => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    return (await oidc.clientCredentialsGrant(config, { scope })).access_token
  }

  it('verifies a client-credentials token in process, finding the issuer of this installation', async () => {
    const verifier = verifierFromSettings(defaults, () => t.base)
    expect(verifier.issuer()).toBe(t.issuer)
    const r = await verifier.verify(await token('api:read api:write'))
    expect(r.ok && r.principal).toMatchObject({
      sub: CC_CLIENT.id,
      clientId: CC_CLIENT.id,
      scopes: ['api:read', 'api:write'],
      issuer: t.issuer,
    })
  }, 90_000)

  it('verifies as a remote resource server does, and refuses another audience', async () => {
    const remote = new TokenVerifier({ issuer: t.issuer, audience: t.base, local: false })
    expect((await remote.verify(await token())).ok).toBe(true)
    const elsewhere = new TokenVerifier({ issuer: t.issuer, audience: 'https://other.example', local: false })
    expect(await elsewhere.verify(await token())).toMatchObject({ ok: false, error: 'invalid_token' })
  }, 90_000)

  it('verifies tokens of a key it has never seen after two forced rotations, both ways', async () => {
    const remote = new TokenVerifier({ issuer: t.issuer, audience: t.base, local: false, jwksCooldownMs: 0 })
    const local = verifierFromSettings(defaults, () => t.base)
    const before = await token()
    expect((await remote.verify(before)).ok).toBe(true)
    // The second rotation makes a key sign that did not exist when the verifier fetched the JWKS.
    await cli(t, 'keys rotate', ['--force'])
    await cli(t, 'keys rotate', ['--force'])
    const after = await token()
    expect(jose.decodeProtectedHeader(after).kid).not.toBe(jose.decodeProtectedHeader(before).kid)
    expect((await remote.verify(after)).ok).toBe(true)
    expect((await local.verify(after)).ok).toBe(true)
    // The key that signed `before` retired, still published: its token verifies until it expires.
    expect((await remote.verify(before)).ok).toBe(true)
    expect((await local.verify(before)).ok).toBe(true)
  }, 90_000)
})
