/**
 * Bad input at every endpoint: malformed, hostile (SQL, CRLF, U+0000) and random requests get an
 * OAuth error (RFC 6749 section 5.2), an error page, or problem+json, and never a 5xx or a hang.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type AuthTestApp, authApp, Browser, CC_CLIENT, cli, REDIRECT } from './testing.js'

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const HOSTILE = [
  "' OR 1=1 --",
  '"; DROP TABLE clients; --',
  'a\u0000b',
  '\ud800',
  'x\r\nSet-Cookie: a=b',
  '%00',
  '../../etc/passwd',
  'é'.repeat(3000),
]

describe.each(backends())('auth bad input (%s)', (backend) => {
  let t: AuthTestApp
  let web: string
  let webAuth: Record<string, string>
  beforeAll(async () => {
    t = await authApp(backend)
    const lines = await cli(t, 'client create', ['--redirect-uri', REDIRECT])
    web = lines[1]!.replace('client_id: ', '')
    webAuth = { authorization: basic(web, lines[3]!) }
  })
  afterAll(() => t.close())

  async function post(path: string, body: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${t.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    })
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
  }
  const form = (o: Record<string, string>) => new URLSearchParams(o).toString()
  const auth = { authorization: basic(CC_CLIENT.id, CC_CLIENT.secret) }

  it('token endpoint: OAuth error JSON for each kind of bad request', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['', auth, 'invalid_request'],
      [form({ grant_type: 'password', username: 'a', password: 'b' }), auth, 'unsupported_grant_type'],
      // No client authentication at all: oidc-provider calls it an invalid request.
      [form({ grant_type: 'client_credentials' }), {}, 'invalid_request'],
      [
        form({ grant_type: 'client_credentials' }),
        { authorization: 'Basic !!!notbase64' },
        'invalid_request',
      ],
      [form({ grant_type: 'client_credentials' }), { authorization: basic('nobody', 'x') }, 'invalid_client'],
      [form({ grant_type: 'refresh_token', refresh_token: 'x' }), auth, 'unauthorized_client'],
      [
        `${form({ grant_type: 'client_credentials' })}&grant_type=client_credentials`,
        auth,
        'invalid_request',
      ],
    ]
    // The web client may use these grants; the code and the refresh token are not real ones.
    cases.push(
      [
        form({
          grant_type: 'authorization_code',
          code: 'x',
          redirect_uri: REDIRECT,
          code_verifier: 'v'.repeat(43),
        }),
        webAuth,
        'invalid_grant',
      ],
      [form({ grant_type: 'refresh_token', refresh_token: "' OR 1=1 --" }), webAuth, 'invalid_grant'],
      [form({ grant_type: 'client_credentials' }), webAuth, 'unauthorized_client'],
    )
    for (const [body, headers, error] of cases) {
      const r = await post('/token', body, headers)
      expect(r.status, `${body} -> ${r.text}`).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect(r.type).toContain('application/json')
      expect(JSON.parse(r.text).error, body).toBe(error)
    }
  })

  it('an unknown scope is left out of the token, not granted', async () => {
    const r = await post('/token', form({ grant_type: 'client_credentials', scope: 'nope api:read' }), auth)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text).scope).toBe('api:read')
  })

  it('hostile values in every parameter of token, introspection and revocation: 4xx, never 5xx', async () => {
    for (const v of HOSTILE) {
      for (const [path, body] of [
        ['/token', { grant_type: 'client_credentials', scope: v, resource: v }],
        ['/token', { grant_type: 'refresh_token', refresh_token: v }],
        ['/token', { grant_type: v }],
        ['/introspect', { token: v, token_type_hint: v }],
        ['/revoke', { token: v, token_type_hint: v }],
      ] as const) {
        const r = await post(path, form(body), auth)
        expect(r.status, `${path} ${JSON.stringify(body)} -> ${r.text.slice(0, 200)}`).toBeLessThan(500)
      }
      const who = await post(
        '/token',
        form({ grant_type: 'client_credentials', client_id: v, client_secret: v }),
      )
      expect(who.status).toBe(v.includes('\u0000') || v.includes('\ud800') ? who.status : 401)
      expect(who.status).toBeLessThan(500)
    }
  })

  it('introspection of unknown or malformed tokens answers active: false; a JWT from elsewhere too', async () => {
    const forged =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJ4IiwianRpIjoiMSIsImNsaWVudF9pZCI6InNlcnZpY2UtYSJ9.c2ln'
    for (const token of ['nope', forged, 'a.b.c']) {
      const r = await post('/introspect', form({ token }), auth)
      expect(r.status).toBe(200)
      expect(JSON.parse(r.text)).toEqual({ active: false })
    }
  })

  it('wrong content types and oversized bodies are refused with 4xx', async () => {
    const json = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(json.status).toBe(400)
    const big = await post(
      '/token',
      form({ grant_type: 'client_credentials', scope: 'a'.repeat(100_000) }),
      auth,
    )
    expect(big.status).toBeGreaterThanOrEqual(400)
    expect(big.status).toBeLessThan(500)
  })

  it('authorization endpoint: an error page (not a redirect) for an unknown client or a bad redirect_uri', async () => {
    for (const q of <Record<string, string>[]>[
      { client_id: 'nobody', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' },
      { client_id: web, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid' },
      { client_id: web, response_type: 'code', scope: 'openid' },
      ...HOSTILE.filter((v) => !v.includes('\u0000')).map((v) => ({
        client_id: v,
        redirect_uri: v,
        scope: v,
        state: v,
      })),
    ]) {
      const res = await fetch(`${t.issuer}/authorize?${new URLSearchParams(q)}`, { redirect: 'manual' })
      expect(res.status, JSON.stringify(q)).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(res.headers.get('location')).toBeNull()
      // An error page with the pages' CSP, or the platform's problem+json for text it refuses.
      if (res.headers.get('content-type')?.startsWith('text/html'))
        expect(res.headers.get('content-security-policy'), JSON.stringify(q)).toContain("default-src 'none'")
      else expect(res.headers.get('content-type')).toContain('application/problem+json')
    }
  })

  it('a CRLF in state is never reflected as a header', async () => {
    const res = await fetch(
      `${t.issuer}/authorize?${new URLSearchParams({ client_id: web, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'x\r\nSet-Cookie: evil=1' })}`,
      { redirect: 'manual' },
    )
    expect(res.status).toBeLessThan(500)
    expect(res.headers.getSetCookie().some((c) => c.startsWith('evil='))).toBe(false)
  })

  it('interaction pages: unknown uid, no cookie, or a forged CSRF token get a 4xx page', async () => {
    const page = await fetch(`${t.issuer}/interaction/nope`)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('expired')
    const login = await post('/interaction/nope/login', form({ csrf: 'x', email: 'a@b.c', password: 'x' }))
    expect(login.status).toBe(400)
    const missing = await post('/interaction/nope/login', form({ email: 'a@b.c' }))
    expect(missing.status).toBe(400)
    // A real interaction, with the browser's cookie, but a CSRF token not made for it.
    const browser = new Browser()
    const url = `${t.issuer}/authorize?${new URLSearchParams({ client_id: web, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`
    const { url: at } = await browser.follow(url)
    const forged = await browser.request(`${at}/login`, {
      form: { csrf: 'forged', email: 'admin@example.com', password: 'x' },
    })
    expect(forged.status).toBe(403)
  })

  it('random form bodies at the token endpoint never get a 5xx (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'grant_type',
            'code',
            'scope',
            'resource',
            'refresh_token',
            'client_id',
            'redirect_uri',
            'code_verifier',
          ),
          fc.string({ unit: 'binary' }),
        ),
        async (body) => {
          const r = await post('/token', form(body), auth)
          expect(r.status, `${JSON.stringify(body)} -> ${r.text.slice(0, 200)}`).toBeLessThan(500)
        },
      ),
      { numRuns: 60 },
    )
    // 60 token requests with client authentication: over 30 s at a load average of 20.
  }, 180_000)

  it('an unknown path under /auth is a problem+json 404', async () => {
    const res = await fetch(`${t.issuer}/nope`)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })
})
