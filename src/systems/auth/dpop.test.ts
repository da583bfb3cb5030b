/**
 * DPoP (RFC 9449) with openid-client's DPoP handle: a client-credentials token bound to the
 * client's key (`token_type: DPoP`, the JWT's `cnf.jkt` is the key's thumbprint, introspection
 * reports it); the same request without a proof gets an unbound Bearer token.
 */
import * as jose from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, CC_CLIENT, discover } from './testing.js'

describe.each(backends())('DPoP (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  }, 180_000)
  afterAll(() => t?.close())

  it('binds a client-credentials access token to the client key', async () => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    expect(config.serverMetadata().dpop_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256']),
    )
    const keyPair = await oidc.randomDPoPKeyPair('ES256')
    const dpop = oidc.getDPoPHandle(config, keyPair)
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP: dpop })
    expect(tokens.token_type.toLowerCase()).toBe('dpop')
    const claims = jose.decodeJwt(tokens.access_token) as { cnf?: { jkt?: string } }
    const jwk = await jose.exportJWK(keyPair.publicKey)
    expect(claims.cnf?.jkt).toBe(await jose.calculateJwkThumbprint(jwk))

    const info = await oidc.tokenIntrospection(config, tokens.access_token)
    expect(info.active).toBe(true)
    // Introspection reports the binding, so a resource server that introspects can check the proof.
    expect((info as { cnf?: { jkt?: string } }).cnf?.jkt).toBe(claims.cnf!.jkt)

    // Without a proof, the same request gets a Bearer token with no binding.
    const bearer = await oidc.clientCredentialsGrant(config, { scope: 'api:read' })
    expect(bearer.token_type.toLowerCase()).toBe('bearer')
    expect((jose.decodeJwt(bearer.access_token) as { cnf?: unknown }).cnf).toBeUndefined()
  })
})
