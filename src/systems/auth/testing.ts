/**
 * Test helpers: an auth app listening on loopback, clients and users made
 * through the system's own parts, and a scripted browser (a cookie jar that
 * follows redirects and fills the HTML forms) for the code flow.
 */
import * as oidc from 'openid-client'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import auth from './index.js'

export const CC_CLIENT = { id: 'service-a', secret: 'service-a-secret-0123456789' }
export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' }
export const REDIRECT = 'http://127.0.0.1:1/cb'
export const POST_LOGOUT = 'http://127.0.0.1:1/bye'

export interface AuthTestApp {
  app: App
  base: string
  issuer: string
  close(): Promise<void>
}

/** An auth app listening on a free loopback port, with the initial client and admin created. */
export async function authApp(backend: BackendName, env: Record<string, string> = {}): Promise<AuthTestApp> {
  const app = await buildTestApp(backend, {
    systems: [auth],
    startWorkers: false,
    env: {
      AUTH_INITIAL_CLIENT_ID: CC_CLIENT.id,
      AUTH_INITIAL_CLIENT_SECRET: CC_CLIENT.secret,
      AUTH_INITIAL_ADMIN_EMAIL: ADMIN.email,
      AUTH_INITIAL_ADMIN_PASSWORD: ADMIN.password,
      AUTH_KEY_PUBLISH_LEAD_S: '0',
      ...env,
    },
  })
  const base = await app.start()
  return { app, base, issuer: `${base}/auth`, close: () => app.close() }
}

/** Run a CLI command of the auth system against the app's schema; its output lines. */
export async function cli(t: AuthTestApp, command: string, args: string[]): Promise<string[]> {
  const lines: string[] = []
  const system = t.app.systems.find((s) => s.definition.name === 'auth')!
  await system.definition.commands![command]!.run(system.context, args, (l: string) => lines.push(l))
  return lines
}

/** A confidential web client with the test redirect URI, made through the CLI as an operator would. */
export async function webClient(t: AuthTestApp): Promise<{ id: string; secret: string }> {
  const lines = await cli(t, 'client create', ['--redirect-uri', REDIRECT])
  return { id: lines[1]!.replace('client_id: ', ''), secret: lines[3]! }
}

/** An admin API caller holding a client-credentials token with the admin scope: status and JSON body. */
export async function adminApi(t: AuthTestApp) {
  const token = (
    await oidc.clientCredentialsGrant(await discover(t, CC_CLIENT.id, CC_CLIENT.secret), { scope: 'admin' })
  ).access_token
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.issuer}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the API answered
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any }
  }
}

/** openid-client's configuration for a client of this issuer (plain http allowed: loopback). */
export function discover(t: AuthTestApp, clientId: string, secret?: string, auth?: oidc.ClientAuth) {
  return oidc.discovery(new URL(t.issuer), clientId, secret, auth, { execute: [oidc.allowInsecureRequests] })
}

/** A browser: cookies by path, redirects followed by hand, forms read from the HTML. */
export class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>()
  /** Each response's status and URL, in order. */
  readonly history: { status: number; url: string }[] = []

  private cookieHeader(url: URL): string {
    return [...this.cookies.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([k, c]) => `${k.split('\n')[0]}=${c.value}`)
      .join('; ')
  }

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const path =
        attrs
          .map((a) => a.trim())
          .find((a) => a.toLowerCase().startsWith('path='))
          ?.slice(5) ?? '/'
      const gone = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a)) || value === ''
      const key = `${name}\n${path}`
      if (gone) this.cookies.delete(key)
      else this.cookies.set(key, { value, path })
    }
  }

  /** One request, no redirect followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const u = new URL(url)
    const headers: Record<string, string> = { cookie: this.cookieHeader(u) }
    let body: string | undefined
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(init.form).toString()
    }
    const res = await fetch(u, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    })
    this.store(res)
    this.history.push({ status: res.status, url })
    return res
  }

  /** Follow redirects from `url` until a page (2xx/4xx) or a redirect to `stopAt`; returns the last response and URL. */
  async follow(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
    stopAt = 'http://127.0.0.1:1/',
  ): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init)
    let at = url
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, at).href
      if (next.startsWith(stopAt)) return { res, url: next }
      at = next
      res = await this.request(at)
    }
    return { res, url: at }
  }
}

/** The hidden and named fields of the first form of a page, and its action. */
export function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html)
  if (!form) throw new Error(`no form in page: ${html.slice(0, 500)}`)
  const fields: Record<string, string> = {}
  for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
    fields[m[1]!] = m[2]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"')
  return { action: new URL(form[1]!.replaceAll('&amp;', '&'), base).href, fields }
}

/**
 * Sign in through the pages: from the authorization URL, fill the login form, allow on the consent
 * page, and return the callback URL the provider redirected to.
 */
export async function signIn(
  browser: Browser,
  authorizationUrl: URL,
  creds: { email: string; password: string; code?: (page: string) => string } = ADMIN,
): Promise<URL> {
  let { res, url } = await browser.follow(authorizationUrl.href)
  for (let step = 0; step < 6; step++) {
    if (url.startsWith('http://127.0.0.1:1/')) return new URL(url)
    const html = await res.text()
    if (res.status !== 200)
      throw new Error(`sign-in page ${url} answered ${res.status}: ${html.slice(0, 300)}`)
    const form = formOf(html, url)
    let fields: Record<string, string> = form.fields
    if (html.includes('name="password"')) fields = { ...fields, email: creds.email, password: creds.password }
    else if (html.includes('name="code"')) {
      if (!creds.code) throw new Error(`a second factor is asked for and the test gave none: ${url}`)
      fields = { ...fields, code: creds.code(html) }
    } else if (html.includes('name="decision"'))
      fields = { ...fields, decision: 'allow' }
      // Otherwise a page with one button (the recovery codes' Continue): submit it.
    ;({ res, url } = await browser.follow(form.action, { form: fields }))
  }
  throw new Error(`sign-in did not reach the client: ended at ${url}`)
}
