/**
 * A relying party for the browser tests: a small web application on loopback that signs its users
 * in with openid-client, as an application would. `GET /login` starts a code flow with PKCE (S256),
 * state and nonce, and redirects to the provider; `GET /cb` redeems the code, reads the userinfo
 * endpoint with the access token, and shows the ID token's claims on a page (keeping all of it for
 * the test to inspect).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as oidc from 'openid-client'
import { type AuthTestApp, cli, discover } from './testing.js'

export interface SignedIn {
  claims: oidc.IDToken
  /** What the userinfo endpoint answered for the access token. */
  userinfo: oidc.UserInfoResponse
  tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
}

export interface RelyingParty {
  /** The application's origin (`http://127.0.0.1:port`). */
  origin: string
  /** Each completed sign-in, in order. */
  signIns: SignedIn[]
  close(): Promise<void>
}

const htmlText = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;')

/** Start the application and register it as a confidential client of `t`'s issuer (through the CLI). */
export async function relyingParty(t: AuthTestApp, scope = 'openid email'): Promise<RelyingParty> {
  const pending = new Map<string, { verifier: string; nonce: string }>()
  const signIns: SignedIn[] = []
  let config: oidc.Configuration | undefined
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin)
    const page = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html>${body}`)
    void (async () => {
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier()
        const state = oidc.randomState()
        const nonce = oidc.randomNonce()
        pending.set(state, { verifier, nonce })
        const to = oidc.buildAuthorizationUrl(config!, {
          redirect_uri: `${origin}/cb`,
          scope,
          state,
          nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          ...(url.searchParams.get('acr') && { acr_values: url.searchParams.get('acr')! }),
        })
        return res.writeHead(302, { location: to.href }).end()
      }
      if (url.pathname === '/cb') {
        const state = url.searchParams.get('state') ?? ''
        const p = pending.get(state)
        if (!p) return page(400, '<h1>Unknown state</h1>')
        pending.delete(state)
        if (url.searchParams.get('error'))
          return page(400, `<h1 id="error">${htmlText(url.searchParams.get('error')!)}</h1>`)
        const tokens = await oidc.authorizationCodeGrant(config!, url, {
          pkceCodeVerifier: p.verifier,
          expectedState: state,
          expectedNonce: p.nonce,
        })
        const claims = tokens.claims()!
        const userinfo = await oidc.fetchUserInfo(config!, tokens.access_token, claims.sub)
        signIns.push({ claims, userinfo, tokens })
        return page(200, `<h1>Signed in</h1><pre id="claims">${htmlText(JSON.stringify(claims))}</pre>`)
      }
      page(404, '<h1>Not found</h1>')
    })().catch((err: Error) => page(500, `<h1>Error</h1><pre id="error">${htmlText(String(err))}</pre>`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const lines = await cli(t, 'client create', [
    '--name',
    'Browser test app',
    '--redirect-uri',
    `${origin}/cb`,
  ])
  const id = lines[1]!.replace('client_id: ', '')
  config = await discover(t, id, lines[3]!)
  return {
    origin,
    signIns,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
