/**
 * The protocol through openid-client, as a relying party and a service would use it: discovery,
 * JWKS, client credentials (JWT access tokens, RFC 9068), introspection and revocation.
 */
import * as jose from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, CC_CLIENT, discover } from './testing.js'

describe.each(backends())('OpenID provider protocol (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  })
  afterAll(() => t.close())

  it('publishes discovery with endpoints under the issuer and a JWKS with the current and next keys', async () => {
    const res = await fetch(`${t.issuer}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const meta = (await res.json()) as Record<string, unknown>
    expect(meta.issuer).toBe(t.issuer)
    expect(meta.token_endpoint).toBe(`${t.issuer}/token`)
    expect(meta.authorization_endpoint).toBe(`${t.issuer}/authorize`)
    expect(meta.code_challenge_methods_supported).toEqual(['S256'])
    expect(meta.response_types_supported).toEqual(['code'])
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'private_key_jwt']),
    )
    const jwks = (await (await fetch(String(meta.jwks_uri))).json()) as { keys: jose.JWK[] }
    expect(jwks.keys).toHaveLength(2)
    for (const k of jwks.keys) {
      expect(k.d).toBeUndefined()
      expect(k.kty).toBe('RSA')
    }
  })

  it('endpoints come from the issuer, not from the Host header', async () => {
    const res = await fetch(`${t.issuer}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example' },
    })
    const meta = (await res.json()) as Record<string, unknown>
    expect(meta.token_endpoint).toBe(`${t.issuer}/token`)
  })

  it('issues a JWT access token for client credentials with the default audience, verifiable offline', async () => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api:read' })
    expect(tokens.token_type.toLowerCase()).toBe('bearer')
    const header = jose.decodeProtectedHeader(tokens.access_token)
    expect(header.typ).toBe('at+jwt')
    const jwks = jose.createRemoteJWKSet(new URL(`${t.issuer}/jwks`))
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, {
      issuer: t.issuer,
      audience: t.base,
      typ: 'at+jwt',
    })
    expect(payload).toMatchObject({ client_id: CC_CLIENT.id, scope: 'api:read', sub: CC_CLIENT.id })
  })

  it('introspects and revokes a JWT access token', async () => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    const { access_token } = await oidc.clientCredentialsGrant(config, { scope: 'api:read api:write' })
    const before = await oidc.tokenIntrospection(config, access_token)
    expect(before).toMatchObject({
      active: true,
      client_id: CC_CLIENT.id,
      scope: 'api:read api:write',
      iss: t.issuer,
    })
    await oidc.tokenRevocation(config, access_token)
    expect(await oidc.tokenIntrospection(config, access_token)).toEqual({ active: false })
  })

  it('refuses a wrong client secret with invalid_client', async () => {
    const config = await discover(t, CC_CLIENT.id, 'wrong-secret-0123456789')
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_client' })
  })

  it('refuses a resource that is not configured with invalid_target', async () => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    await expect(
      oidc.clientCredentialsGrant(config, { resource: 'https://elsewhere.example/' }),
    ).rejects.toMatchObject({
      error: 'invalid_target',
    })
  })
})
