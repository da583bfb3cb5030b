/**
 * private_key_jwt client authentication, with oauth4webapi (the low-level client) for one whole
 * flow: discovery, a client-credentials grant signed with the client's own key, introspection,
 * and the resource server's side (validateJwtAccessToken, RFC 9068); openid-client's
 * PrivateKeyJwt too; and a forged assertion refused.
 */
import * as jose from 'jose'
import * as oauth from 'oauth4webapi'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, cli, discover } from './testing.js'

describe.each(backends())('private_key_jwt (%s)', (backend) => {
  let t: AuthTestApp
  let clientId: string
  let key: oauth.PrivateKey
  beforeAll(async () => {
    t = await authApp(backend)
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true })
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'svc-key-1', alg: 'ES256', use: 'sig' }
    key = { key: privateKey, kid: 'svc-key-1' }
    const lines = await cli(t, 'client create', [
      '--name',
      'Keyed service',
      '--jwks',
      JSON.stringify({ keys: [jwk] }),
    ])
    expect(lines[0]).toContain('(private_key_jwt)')
    expect(lines.join('\n')).not.toContain('client_secret')
    clientId = lines[1]!.replace('client_id: ', '')
  })
  afterAll(() => t.close())

  const insecure = { [oauth.allowInsecureRequests]: true }

  it('oauth4webapi: discovery, client credentials, introspection, and validation by a resource server', async () => {
    const issuer = new URL(t.issuer)
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    )
    const client: oauth.Client = { client_id: clientId }
    const auth = oauth.PrivateKeyJwt(key)
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'api:write' }, insecure)
    const tokens = await oauth.processClientCredentialsResponse(as, client, res)
    expect(tokens.scope).toBe('api:write')

    const intro = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, oauth.PrivateKeyJwt(key), tokens.access_token, insecure),
    )
    expect(intro).toMatchObject({ active: true, client_id: clientId, scope: 'api:write' })

    const request = new Request('https://api.example/', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(as, request, t.base, insecure)
    expect(claims).toMatchObject({ iss: t.issuer, client_id: clientId, aud: t.base, scope: 'api:write' })
  })

  it('openid-client with PrivateKeyJwt', async () => {
    const config = await discover(t, clientId, undefined, oidc.PrivateKeyJwt(key))
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api:read' })
    expect(jose.decodeJwt(tokens.access_token).client_id).toBe(clientId)
  })

  it('refuses an assertion signed with another key, and a replayed assertion', async () => {
    const other = await jose.generateKeyPair('ES256')
    const config = await discover(
      t,
      clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: other.privateKey, kid: 'svc-key-1' }),
    )
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_client' })

    // The same assertion twice: the jti is remembered (ReplayDetection, stored in PostgreSQL).
    const assertion = await new jose.SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'svc-key-1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(t.issuer)
      .setJti('once-only')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key.key)
    const send = () =>
      fetch(`${t.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      })
    expect((await send()).status).toBe(200)
    const replay = await send()
    expect(replay.status).toBe(401)
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_client')
  })
})
