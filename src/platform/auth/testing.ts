/**
 * Test helpers of platform/auth: an issuer made of a key pair, tokens signed the way the auth
 * system signs them (RFC 9068), and a JWKS server on loopback that counts its fetches.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'

export interface TestKey {
  kid: string
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
  publicJwk: JWK
}

/** An RS256 key pair with its public JWK. */
export async function testKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } }
}

/** A signed access token: at+jwt, `iat` now, `exp` in 10 minutes unless the claims say otherwise. */
export async function signToken(
  key: TestKey,
  claims: JWTPayload,
  header: { typ?: string; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iat: now, exp: now + 600, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: header.typ ?? 'at+jwt', kid: header.kid ?? key.kid })
    .sign(key.privateKey)
}

export interface JwksServer {
  url: string
  issuer: string
  /** The keys it publishes; change them to rotate. */
  keys: JWK[]
  /** Fetches of the JWKS so far. */
  fetches: number
  /** Discovery's `issuer` member (default: the issuer): set another to test the mix-up defence. */
  discoveryIssuer?: string
  close(): Promise<void>
}

/** An issuer's discovery document and JWKS on a free loopback port. */
export async function jwksServer(keys: JWK[]): Promise<JwksServer> {
  let server: Server
  const s: JwksServer = {
    url: '',
    issuer: '',
    keys,
    fetches: 0,
    close: () => new Promise((r) => server.close(() => r())),
  }
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/issuer/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer: s.discoveryIssuer ?? s.issuer, jwks_uri: `${s.url}/jwks` }))
    if (req.url === '/jwks') {
      s.fetches++
      return res.end(JSON.stringify({ keys: s.keys }))
    }
    res.statusCode = 404
    res.end('{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  s.issuer = `${s.url}/issuer`
  return s
}
