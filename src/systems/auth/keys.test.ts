/**
 * Signing keys: the next key is published before it signs, a rotation makes it sign, and the
 * retired key stays published (tokens it signed still verify) until they have expired.
 */
import * as jose from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, CC_CLIENT, cli, discover } from './testing.js'

describe.each(backends())('signing keys (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  })
  afterAll(() => t.close())

  const published = async () =>
    ((await (await fetch(`${t.issuer}/jwks`)).json()) as { keys: jose.JWK[] }).keys.map((k) => k.kid)
  const token = async () => {
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    return (await oidc.clientCredentialsGrant(config, { scope: 'api:read' })).access_token
  }
  const kidOf = (jwt: string) => jose.decodeProtectedHeader(jwt).kid
  const states = async () =>
    Object.fromEntries(
      (await cli(t, 'keys list', [])).map((l) => {
        const [kid, state] = l.split('\t')
        return [kid!, state!]
      }),
    ) as Record<string, string>

  it('publishes the next key before it signs; a rotation makes it sign and keeps the old key published', async () => {
    const before = await states()
    const current = Object.keys(before).find((k) => before[k] === 'current')!
    const next = Object.keys(before).find((k) => before[k] === 'next')!
    expect(await published()).toEqual(expect.arrayContaining([current, next]))
    const old = await token()
    expect(kidOf(old)).toBe(current)

    const out = await cli(t, 'keys rotate', [])
    expect(out[0]).toContain(`${next} now signs`)
    const after = await states()
    expect(after[next]).toBe('current')
    expect(after[current]).toBe('retired')
    const fresh = Object.keys(after).find((k) => after[k] === 'next')!
    expect([current, next]).not.toContain(fresh)

    // The JWKS has the new signer, the new next key and the retired one.
    expect(await published()).toEqual(expect.arrayContaining([current, next, fresh]))
    const signedAfter = await token()
    expect(kidOf(signedAfter)).toBe(next)
    // Both verify against the published set: the old token outlives its key's signing days.
    const jwks = jose.createRemoteJWKSet(new URL(`${t.issuer}/jwks`))
    for (const jwt of [old, signedAfter]) await jose.jwtVerify(jwt, jwks, { issuer: t.issuer })
    // And introspection still answers for a token signed by the retired key.
    const config = await discover(t, CC_CLIENT.id, CC_CLIENT.secret)
    expect((await oidc.tokenIntrospection(config, old)).active).toBe(true)
  })

  it('writes each rotation to the audit log', async () => {
    const system = t.app.systems.find((s) => s.definition.name === 'auth')!
    const { rows } = await system.context.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE event = 'key.rotated'",
    )
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1)
  })
})

describe.each(backends())('signing key rotation lead time (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend, { AUTH_KEY_PUBLISH_LEAD_S: '3600' })
  })
  afterAll(() => t.close())

  it('refuses to rotate while the next key is younger than the lead time, unless forced', async () => {
    await expect(cli(t, 'keys rotate', [])).rejects.toMatchObject({
      code: 'AUTH_KEY_NEXT_TOO_NEW',
      status: 409,
    })
    const out = await cli(t, 'keys rotate', ['--force'])
    expect(out[0]).toContain('now signs')
  })
})
