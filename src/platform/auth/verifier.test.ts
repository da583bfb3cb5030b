/**
 * The verifier's contract: what it accepts and refuses, with keys from a JWKS over HTTP and from
 * an issuer in this process. The auth system's own tests run it against real tokens.
 */
import { createPublicKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { registerLocalIssuer } from './local-issuers.js'
import { type JwksServer, jwksServer, signToken, type TestKey, testKey } from './testing.js'
import { TokenVerifier, type VerifyResult } from './verifier.js'

const AUD = 'https://api.example'
const now = () => Math.floor(Date.now() / 1000)
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const refused = (r: VerifyResult) => {
  if (r.ok) throw new Error(`expected a refusal, got the principal of ${r.principal.sub}`)
  return r
}

describe('TokenVerifier against a JWKS over HTTP', () => {
  let key: TestKey
  let server: JwksServer
  let verifier: TokenVerifier
  const claims = () => ({
    iss: server.issuer,
    aud: AUD,
    sub: 'user-1',
    client_id: 'app',
    scope: 'api:read admin',
  })

  beforeAll(async () => {
    key = await testKey('k1')
    server = await jwksServer([key.publicJwk])
    verifier = new TokenVerifier({ issuer: server.issuer, audience: AUD, jwksCooldownMs: 0 })
  })
  afterAll(() => server.close())

  it('accepts a good token and exposes its principal', async () => {
    const r = await verifier.verify(await signToken(key, { ...claims(), roles: ['admin', 'ops'] }))
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.principal).toMatchObject({
      sub: 'user-1',
      clientId: 'app',
      scopes: ['api:read', 'admin'],
      roles: ['admin', 'ops'],
      issuer: server.issuer,
    })
  })

  it('refuses an expired token, and accepts one expired within the clock tolerance', async () => {
    const expired = refused(await verifier.verify(await signToken(key, { ...claims(), exp: now() - 60 })))
    expect(expired).toMatchObject({ error: 'invalid_token', description: 'the token has expired' })
    expect((await verifier.verify(await signToken(key, { ...claims(), exp: now() - 2 }))).ok).toBe(true)
  })

  it('refuses a token not valid yet (nbf)', async () => {
    const r = refused(await verifier.verify(await signToken(key, { ...claims(), nbf: now() + 120 })))
    expect(r.description).toBe('the token is not valid yet')
  })

  it('refuses another audience, another issuer, and a token without exp', async () => {
    expect(
      refused(await verifier.verify(await signToken(key, { ...claims(), aud: 'https://other.example' })))
        .description,
    ).toBe("the token's aud is not accepted here")
    expect(
      refused(await verifier.verify(await signToken(key, { ...claims(), iss: 'https://evil.example' })))
        .description,
    ).toBe("the token's iss is not accepted here")
    const noExp = await new SignJWT({ ...claims() })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
      .sign(key.privateKey)
    expect(refused(await verifier.verify(noExp)).description).toBe('the token has no exp claim')
  })

  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64({ ...claims(), exp: now() + 60 })}.`
    expect(refused(await verifier.verify(token)).error).toBe('invalid_token')
  })

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    for (const secret of [Buffer.from(pem as string), Buffer.from(JSON.stringify(key.publicJwk))]) {
      const token = await new SignJWT({ ...claims(), exp: now() + 60 })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
        .sign(secret)
      expect(refused(await verifier.verify(token)).description).toBe(
        'the token is signed with an algorithm not accepted here',
      )
    }
  })

  it('refuses a token signed by a key it does not publish, and a tampered payload', async () => {
    const stranger = await testKey(key.kid)
    expect(refused(await verifier.verify(await signToken(stranger, claims()))).description).toBe(
      'the token signature is invalid',
    )
    const [h, , s] = (await signToken(key, claims())).split('.')
    const forged = `${h}.${b64({ ...claims(), exp: now() + 60, scope: 'admin everything' })}.${s}`
    expect(refused(await verifier.verify(forged)).description).toBe('the token signature is invalid')
  })

  it('requires typ at+jwt unless told otherwise', async () => {
    const plain = await signToken(key, claims(), { typ: 'JWT' })
    expect(refused(await verifier.verify(plain)).error).toBe('invalid_token')
    const lenient = new TokenVerifier({ issuer: server.issuer, audience: AUD, requireAtJwt: false })
    expect((await lenient.verify(plain)).ok).toBe(true)
  })

  it('refuses garbage and an oversized token without a fetch', async () => {
    for (const t of ['', 'a.b.c', 'not a jwt', `${b64({ alg: 'RS256' })}.e30.`])
      expect(refused(await verifier.verify(t)).error).toBe('invalid_token')
    expect(refused(await verifier.verify('a'.repeat(9000))).description).toBe('the token is too long')
  })

  it('fetches the keys again for an unknown kid after a rotation, at most once per cooldown', async () => {
    const first = await testKey('r1')
    const second = await testKey('r2')
    const s = await jwksServer([first.publicJwk])
    try {
      const c = { iss: s.issuer, aud: AUD, sub: 'svc' }
      const v = new TokenVerifier({ issuer: s.issuer, audience: AUD, jwksCooldownMs: 0 })
      expect((await v.verify(await signToken(first, c))).ok).toBe(true)
      expect(s.fetches).toBe(1)
      // The issuer rotates: the new key signs, the old one stays published.
      s.keys = [second.publicJwk, first.publicJwk]
      expect((await v.verify(await signToken(second, c))).ok).toBe(true)
      expect((await v.verify(await signToken(first, c))).ok).toBe(true)
      expect(s.fetches).toBe(2)
      // Within the cooldown, made-up kids are refused without a fetch each.
      const cooled = new TokenVerifier({ issuer: s.issuer, audience: AUD, jwksCooldownMs: 600_000 })
      expect((await cooled.verify(await signToken(second, c))).ok).toBe(true)
      const fetches = s.fetches
      const madeUp = await testKey('made-up')
      for (let i = 0; i < 5; i++)
        expect(refused(await cooled.verify(await signToken(madeUp, c))).description).toBe(
          'the token is signed by a key the issuer does not publish',
        )
      expect(s.fetches).toBe(fetches)
    } finally {
      await s.close()
    }
  })

  it('answers unavailable when the issuer cannot be reached', async () => {
    const s = await jwksServer([key.publicJwk])
    const issuer = s.issuer
    await s.close()
    const v = new TokenVerifier({ issuer, audience: AUD, fetchTimeoutMs: 2_000 })
    const r = refused(await v.verify(await signToken(key, { ...claims(), iss: issuer })))
    expect(r.error).toBe('unavailable')
  })

  it('refuses discovery that names another issuer (mix-up)', async () => {
    const s = await jwksServer([key.publicJwk])
    try {
      s.discoveryIssuer = 'https://evil.example/issuer'
      const v = new TokenVerifier({ issuer: s.issuer, audience: AUD })
      const r = refused(await v.verify(await signToken(key, { ...claims(), iss: s.issuer })))
      expect(r).toMatchObject({ error: 'unavailable' })
      expect(r.description).toMatch(/names another issuer/)
      expect(s.fetches).toBe(0)
    } finally {
      await s.close()
    }
  })

  it('refuses a configuration with a symmetric algorithm or none', () => {
    for (const algorithms of [['HS256'], ['RS256', 'none'], []])
      expect(() => new TokenVerifier({ issuer: 'https://i.example', audience: AUD, algorithms })).toThrow(
        /asymmetric/,
      )
  })
})

describe('TokenVerifier with an issuer in this process', () => {
  const issuer = 'http://127.0.0.1:1/local-issuer'
  let unregister: (() => void) | undefined
  afterEach(() => unregister?.())

  it('verifies with the registered keys, without HTTP, and rereads them for an unknown kid', async () => {
    const k1 = await testKey('l1')
    const k2 = await testKey('l2')
    let doc = { keys: [k1.publicJwk] }
    let refreshes = 0
    unregister = registerLocalIssuer({
      issuer: () => issuer,
      jwks: () => doc,
      async refresh() {
        refreshes++
        doc = { keys: [k2.publicJwk, k1.publicJwk] }
      },
    })
    // An unreachable issuer URL: any HTTP attempt would answer unavailable.
    const v = new TokenVerifier({ issuer, audience: AUD, jwksCooldownMs: 0 })
    const c = { iss: issuer, aud: AUD, sub: 'u' }
    expect((await v.verify(await signToken(k1, c))).ok).toBe(true)
    expect(refreshes).toBe(0)
    // Rotated in another process: the first token of the new key makes this process reread.
    expect((await v.verify(await signToken(k2, c))).ok).toBe(true)
    expect(refreshes).toBe(1)
    expect(refused(await v.verify(await signToken(await testKey('l3'), c))).description).toBe(
      'the token is signed by a key the issuer does not publish',
    )
  })

  it('resolves a late issuer (known at listen) at each call', async () => {
    const k = await testKey('late')
    let known: string | undefined
    const v = new TokenVerifier({ issuer: () => known, audience: AUD })
    const token = await signToken(k, { iss: issuer, aud: AUD, sub: 'u' })
    expect(refused(await v.verify(token)).error).toBe('unavailable')
    unregister = registerLocalIssuer({ issuer: () => issuer, jwks: () => ({ keys: [k.publicJwk] }) })
    known = issuer
    expect((await v.verify(token)).ok).toBe(true)
  })
})
