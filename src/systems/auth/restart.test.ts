/**
 * Real processes on the embedded default (PGlite in DATA_DIR): a client is created with the CLI
 * while the server runs (through the data folder's control socket), tokens are issued, the server
 * is SIGKILLed and started again on the same folder, and everything issued before still works.
 */
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as jose from 'jose'
import * as oidc from 'openid-client'
import { describe, expect, it } from 'vitest'
import { runToExit, type ServerProcess, startServer } from '../../platform/testing/process.js'
import { ADMIN, Browser, CC_CLIENT, REDIRECT, signIn } from './testing.js'

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('auth across a SIGKILL (real processes, PGlite)', { timeout: 420_000 }, () => {
  it('verifies tokens, refresh tokens and clients issued before the restart', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const issuer = `${base}/auth`
    const env = {
      SYSTEMS: 'auth',
      PORT: String(port),
      PUBLIC_URL: base,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bp-auth-kill-')),
      AUTH_INITIAL_CLIENT_ID: CC_CLIENT.id,
      AUTH_INITIAL_CLIENT_SECRET: CC_CLIENT.secret,
      AUTH_INITIAL_ADMIN_EMAIL: ADMIN.email,
      AUTH_INITIAL_ADMIN_PASSWORD: ADMIN.password,
    }
    let server: ServerProcess = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })
    try {
      // The CLI beside the running server runs inside it (the folder's one process).
      const made = await runToExit('src/cli.ts', env, [
        'auth',
        'client',
        'create',
        '--name',
        'Web',
        '--redirect-uri',
        REDIRECT,
      ])
      expect(made.code, made.stderr).toBe(0)
      const id = /client_id: (\S+)/.exec(made.stdout)![1]!
      const secret = made.stdout.trim().split('\n').at(-1)!.trim()

      const opts = { execute: [oidc.allowInsecureRequests] }
      const cc = await oidc.discovery(new URL(issuer), CC_CLIENT.id, CC_CLIENT.secret, undefined, opts)
      const { access_token } = await oidc.clientCredentialsGrant(cc, { scope: 'api:read' })
      const web = await oidc.discovery(new URL(issuer), id, secret, undefined, opts)
      const verifier = oidc.randomPKCECodeVerifier()
      const url = oidc.buildAuthorizationUrl(web, {
        redirect_uri: REDIRECT,
        scope: 'openid offline_access',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'st',
      })
      const tokens = await oidc.authorizationCodeGrant(web, await signIn(new Browser(), url), {
        pkceCodeVerifier: verifier,
        expectedState: 'st',
      })

      server.kill('SIGKILL')
      expect(await server.exited).toBe('SIGKILL')
      server = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })

      // The JWT verifies against the restarted server's keys, and introspects as active.
      const jwks = jose.createRemoteJWKSet(new URL(`${issuer}/jwks`))
      const { payload } = await jose.jwtVerify(access_token, jwks, { issuer, audience: base })
      expect(payload.client_id).toBe(CC_CLIENT.id)
      const cc2 = await oidc.discovery(new URL(issuer), CC_CLIENT.id, CC_CLIENT.secret, undefined, opts)
      expect((await oidc.tokenIntrospection(cc2, access_token)).active).toBe(true)
      // The refresh token from before refreshes; the client made by the CLI still authenticates.
      const web2 = await oidc.discovery(new URL(issuer), id, secret, undefined, opts)
      const refreshed = await oidc.refreshTokenGrant(web2, tokens.refresh_token!)
      expect(refreshed.claims()?.sub).toBe(tokens.claims()?.sub)
    } finally {
      server.kill('SIGKILL')
      await server.exited
    }
  })
})
