/**
 * SIGKILL during token exchanges (real processes, PGlite in DATA_DIR): clients refresh in loops
 * and exchange authorization codes while the server is killed, so some exchanges are cut at an
 * arbitrary point (code consumed or not, new refresh token written or not, answer sent or not).
 * After the restart each client retries what it was doing with what it holds. Nothing may be
 * half-issued: a retry either gets tokens that work (and refresh again), or is refused with
 * invalid_grant, and then nothing of that grant works any more (the token it held introspects
 * inactive and a second retry is refused too). Never a 5xx, never tokens that do not work.
 */
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as oidc from 'openid-client'
import { describe, expect, it } from 'vitest'
import { runToExit, type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import { ADMIN, Browser, CC_CLIENT, REDIRECT, signIn } from './testing.js'

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

const LOOPS = 6
const CODES = 3

describe('auth: SIGKILL during token exchanges (real processes, PGlite)', { timeout: 360_000 }, () => {
  it('leaves every grant either working or wholly refused after the restart', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const issuer = `${base}/auth`
    const env = {
      SYSTEMS: 'auth',
      PORT: String(port),
      PUBLIC_URL: base,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bp-auth-crash-')),
      AUTH_INITIAL_CLIENT_ID: CC_CLIENT.id,
      AUTH_INITIAL_CLIENT_SECRET: CC_CLIENT.secret,
      AUTH_INITIAL_ADMIN_EMAIL: ADMIN.email,
      AUTH_INITIAL_ADMIN_PASSWORD: ADMIN.password,
      // A rotated token is refused at once: a retry of a rotation that did commit is reuse.
      AUTH_REFRESH_REUSE_GRACE_MS: '0',
    }
    let server: ServerProcess = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })
    try {
      const made = await runToExit('src/cli.ts', env, [
        'auth',
        'client',
        'create',
        '--redirect-uri',
        REDIRECT,
      ])
      expect(made.code, made.stderr).toBe(0)
      const id = /client_id: (\S+)/.exec(made.stdout)![1]!
      const secret = made.stdout.trim().split('\n').at(-1)!.trim()
      const opts = { execute: [oidc.allowInsecureRequests] }
      const web = await oidc.discovery(new URL(issuer), id, secret, undefined, opts)

      /** A signed-in browser's callback URL (the code not exchanged yet) and its PKCE verifier. */
      const callback = async () => {
        const verifier = oidc.randomPKCECodeVerifier()
        const url = oidc.buildAuthorizationUrl(web, {
          redirect_uri: REDIRECT,
          scope: 'openid offline_access',
          prompt: 'consent',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: 'st',
        })
        return { url: await signIn(new Browser(), url), verifier }
      }
      const exchange = (c: { url: URL; verifier: string }, config = web) =>
        oidc.authorizationCodeGrant(config, c.url, { pkceCodeVerifier: c.verifier, expectedState: 'st' })

      // Refresh loops, each holding the last refresh token it was given.
      const held: string[] = []
      for (let i = 0; i < LOOPS; i++) held.push((await exchange(await callback())).refresh_token!)
      const codes = await Promise.all(Array.from({ length: CODES }, () => callback()))
      let refreshes = 0
      let stop = false
      const loops = held.map(async (_, i) => {
        while (!stop) {
          try {
            const t = await oidc.refreshTokenGrant(web, held[i]!)
            held[i] = t.refresh_token!
            refreshes++
          } catch {
            return // the server went away mid-request (or before it)
          }
        }
      })
      await waitFor('refreshes under way', () => refreshes >= LOOPS * 3, 120_000)
      // The code exchanges start now too, and the kill lands among them.
      const cut = codes.map((c) =>
        exchange(c).then(
          () => 'answered' as const,
          () => 'cut' as const,
        ),
      )
      server.kill('SIGKILL')
      stop = true
      expect(await server.exited).toBe('SIGKILL')
      await Promise.all(loops)
      const codeOutcomes = await Promise.all(cut)

      server = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })
      const web2 = await oidc.discovery(new URL(issuer), id, secret, undefined, opts)
      let working = 0
      let refused = 0
      /** Retry with what the client holds: tokens that work, or a refusal after which nothing works. */
      const settle = async (attempt: () => Promise<oidc.TokenEndpointResponse>, heldToken?: string) => {
        try {
          const t = await attempt()
          // They work: the new refresh token refreshes again.
          const again = await oidc.refreshTokenGrant(web2, t.refresh_token!)
          expect(again.access_token).toBeTruthy()
          working++
        } catch (err) {
          expect((err as { error?: string }).error, String(err)).toBe('invalid_grant')
          if (heldToken) {
            expect(await oidc.tokenIntrospection(web2, heldToken)).toEqual({ active: false })
            await expect(oidc.refreshTokenGrant(web2, heldToken)).rejects.toMatchObject({
              error: 'invalid_grant',
            })
          }
          refused++
        }
      }
      for (const token of held) await settle(() => oidc.refreshTokenGrant(web2, token), token)
      for (const [i, c] of codes.entries())
        if (codeOutcomes[i] === 'cut') await settle(() => exchange(c, web2))
      expect(working + refused).toBe(LOOPS + codeOutcomes.filter((o) => o === 'cut').length)
      // A new sign-in works after the restart.
      expect((await exchange(await callback(), web2)).refresh_token).toBeTruthy()
    } finally {
      server.kill('SIGKILL')
      await server.exited
    }
  })
})
