/**
 * The auth benchmark (`npm run bench -- auth`), issue 17:
 *
 * - client-credentials: `POST /auth/token grant_type=client_credentials` with HTTP Basic, tokens/s:
 *   the whole system (Fastify, the mount, the client read through the PostgreSQL adapter with its
 *   cache, an RS256 JWT signed) against bare oidc-provider (standalone Koa, memory adapter,
 *   static client), same key size, same token format. Goal: 0.7 of the bare provider.
 * - introspection: `POST /auth/introspect` of a client-credentials token. The system introspects
 *   its JWT (signature, issuer, expiry, then the revoked-jti list in PostgreSQL); bare
 *   oidc-provider cannot introspect JWTs, so it issues and introspects opaque tokens (a lookup in
 *   its memory adapter). Not the same work: the table says so.
 * - jwt-verify: what a resource server pays per request to trust a token: platform/auth's
 *   verifier (every check, keys from a cached remote JWKS) against the floor, `jose.jwtVerify` of
 *   the same RS256 access token against a local JWKS, in this process (one core). Goals: 0.9 of
 *   the floor; 50,000/s (the issue's).
 *
 * The server (Blueprints with SYSTEMS=auth on PGlite, as `npm start` runs it; or bare
 * oidc-provider) runs pinned to core 0, the load on core 1 (bench/README.md).
 */
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose'
import { startChild } from '../../../bench/harness/child.js'
import { listeningUrlFromLine, startBlueprints } from '../../../bench/harness/servers.js'
import type { BenchSubject, BenchSuite, StartedServer } from '../../../bench/types.js'
import { TokenVerifier } from '../../platform/auth/index.js'

const CLIENT = { id: 'bench', secret: 'bench-secret-0123456789' }
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`
const FORM = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC }
const CC_BODY = 'grant_type=client_credentials&scope=api%3Aread'

const blueprints = () =>
  startBlueprints({
    env: {
      SYSTEMS: 'auth',
      AUTH_INITIAL_CLIENT_ID: CLIENT.id,
      AUTH_INITIAL_CLIENT_SECRET: CLIENT.secret,
      // Tokens are asked for far more often than a log line is useful.
      LOG_LEVEL: 'warn',
    },
  })

const bareProvider = (opaque: boolean) => () =>
  startChild({
    name: 'bare oidc-provider',
    entry: 'src/systems/auth/bench/bare-provider.ts',
    env: {
      PORT: '0',
      BARE_CLIENT_ID: CLIENT.id,
      BARE_CLIENT_SECRET: CLIENT.secret,
      BARE_OPAQUE: opaque ? '1' : '0',
    },
    urlFromLine: listeningUrlFromLine,
    readyPath: '/.well-known/openid-configuration',
    readyStatus: 200,
  })

/** A client-credentials token from `base` + `tokenPath`. */
async function tokenFrom(base: string, tokenPath: string): Promise<string> {
  const res = await fetch(`${base}${tokenPath}`, { method: 'POST', headers: FORM, body: CC_BODY })
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { access_token: string }).access_token
}

function tokenSubject(
  name: string,
  role: BenchSubject['role'],
  start: () => Promise<StartedServer>,
  path: string,
): BenchSubject {
  return {
    name,
    role,
    start,
    load: {
      kind: 'http',
      method: 'POST',
      path,
      headers: FORM,
      body: CC_BODY,
      connections: 16,
      expectStatus: [200],
    },
  }
}

function introspectionSubject(
  name: string,
  role: BenchSubject['role'],
  start: () => Promise<StartedServer>,
  prefix: string,
): BenchSubject {
  let body = ''
  return {
    name,
    role,
    start,
    prepare: async (server) => {
      body = `token=${encodeURIComponent(await tokenFrom(server!.url, `${prefix}/token`))}`
    },
    load: {
      kind: 'http',
      method: 'POST',
      path: `${prefix}/introspect`,
      headers: FORM,
      body: () => body,
      connections: 16,
      expectStatus: [200],
    },
  }
}

/**
 * The verification of one access token in this process, one at a time: jose's `jwtVerify` against
 * a local JWKS (the floor), or platform/auth's verifier as a resource server in another process
 * uses it (discovery and JWKS fetched once, then cached; every check of verifier.ts).
 */
function verifySubject(kind: 'jose' | 'platform'): BenchSubject {
  let verify: (() => Promise<unknown>) | undefined
  return {
    name: kind === 'jose' ? 'jose jwtVerify (RS256, local JWKS)' : 'platform/auth TokenVerifier',
    role: kind === 'jose' ? 'baseline' : 'system',
    start: blueprints,
    prepare: async (server) => {
      const base = server!.url
      const token = await tokenFrom(base, '/auth/token')
      if (kind === 'jose') {
        const jwks = createLocalJWKSet((await (await fetch(`${base}/auth/jwks`)).json()) as { keys: JWK[] })
        verify = () => jwtVerify(token, jwks, { issuer: `${base}/auth`, typ: 'at+jwt' })
      } else {
        const verifier = new TokenVerifier({ issuer: `${base}/auth`, audience: base })
        const first = await verifier.verify(token)
        if (!first.ok) throw new Error(`platform/auth refused the token: ${first.description}`)
        verify = () => verifier.verify(token)
      }
    },
    load: {
      kind: 'custom',
      async run({ durationMs }) {
        const end = performance.now() + durationMs
        const latenciesMs: number[] = []
        let ops = 0
        while (performance.now() < end) {
          for (let i = 0; i < 100; i++) {
            const t0 = performance.now()
            await verify!()
            if ((ops + i) % 50 === 0) latenciesMs.push(performance.now() - t0)
          }
          ops += 100
        }
        return { ops, latenciesMs }
      },
    },
  }
}

const suite: BenchSuite = {
  system: 'auth',
  scenarios: [
    {
      name: 'client-credentials',
      description:
        'POST /token grant_type=client_credentials (HTTP Basic), RS256 JWT access tokens; tokens/s',
      subjects: [
        tokenSubject('blueprints (PGlite)', 'system', blueprints, '/auth/token'),
        tokenSubject('bare oidc-provider (memory adapter)', 'peer', bareProvider(false), '/token'),
      ],
      goals: { 'bare oidc-provider (memory adapter)': 0.7 },
    },
    {
      name: 'introspection',
      description:
        'POST /introspect of a client-credentials token; ours a JWT (verify + revoked list in PostgreSQL), the bare provider an opaque token in memory',
      subjects: [
        introspectionSubject('blueprints (PGlite, JWT)', 'system', blueprints, '/auth'),
        introspectionSubject('bare oidc-provider (memory adapter, opaque)', 'peer', bareProvider(true), ''),
      ],
    },
    {
      name: 'jwt-verify',
      description:
        'a resource server verifying one RS256 access token: platform/auth vs jose against a local JWKS, one core',
      subjects: [verifySubject('platform'), verifySubject('jose')],
      goals: { 'jose jwtVerify (RS256, local JWKS)': 0.9 },
    },
  ],
}

export default suite
