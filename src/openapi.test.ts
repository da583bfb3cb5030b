/**
 * The OpenAPI document of every system (`/openapi.json`, Swagger UI at `/docs`): it passes
 * Redocly's recommended rules (`redocly.yaml`; exceptions justified in docs/platform.md), every
 * operation that answers 401 without credentials declares a security scheme that, applied as
 * declared, gets past the 401 (what Swagger UI's "Try it out" does), and every operation sits
 * under exactly one tag, its system's name, so the console's `/docs#/<system>` links land on it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from './platform/testing/app.js'
import { systems } from './systems/index.js'

const API_KEY = 'openapi-key-0000-0000-000000000000'
const JOBS_TOKEN = 'openapi-jobs-token'
const ADMIN_TOKEN = 'openapi-admin-token'
const CHAT_ADMIN_TOKEN = 'openapi-chat-admin-token'
const AUTH_CLIENT = { id: 'openapi-client', secret: 'openapi-client-secret-0000' }
const PAYMENTS_KEY = 'sk_test_openapi000000000000000000'

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is plain JSON here
type Json = any

const METHODS = ['get', 'put', 'post', 'delete', 'patch']

describe('the OpenAPI document', () => {
  let app: App
  let doc: Json
  let origin: string
  let authAdminToken: string
  const operations: { method: string; path: string; op: Json }[] = []

  beforeAll(async () => {
    app = await buildTestApp('embedded', {
      systems,
      env: {
        INITIAL_API_KEY: API_KEY,
        JOBS_API_TOKEN: JOBS_TOKEN,
        RATE_LIMITER_ADMIN_TOKEN: ADMIN_TOKEN,
        BOARD_ADMIN_TOKEN: ADMIN_TOKEN,
        CHAT_ADMIN_TOKEN,
        AUTH_INITIAL_CLIENT_ID: AUTH_CLIENT.id,
        AUTH_INITIAL_CLIENT_SECRET: AUTH_CLIENT.secret,
        PAYMENTS_INITIAL_SECRET_KEY: PAYMENTS_KEY,
      },
      startWorkers: false,
    })
    origin = await app.start()
    // The auth admin API takes an access token of the auth system with the admin scope.
    const token = await request(`${origin}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${AUTH_CLIENT.id}:${AUTH_CLIENT.secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=admin',
    })
    authAdminToken = ((await token.body.json()) as { access_token: string }).access_token
    doc = (await app.http.inject({ url: '/openapi.json' })).json()
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>))
      for (const method of METHODS) if (item[method]) operations.push({ method, path, op: item[method] })
  }, 120_000)
  afterAll(() => app?.close())

  it("passes Redocly's recommended rules", () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'))
    try {
      const file = join(dir, 'openapi.json')
      writeFileSync(file, JSON.stringify(doc))
      const run = spawnSync(
        process.execPath,
        [
          'node_modules/@redocly/cli/bin/cli.js',
          'lint',
          file,
          '--config',
          'redocly.yaml',
          '--format',
          'json',
        ],
        {
          encoding: 'utf8',
          // No telemetry, no update check: CI has no network beyond the registries.
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          timeout: 120_000,
        },
      )
      const start = run.stdout.indexOf('{')
      const report = JSON.parse(run.stdout.slice(start)) as Json
      const problems = (report.problems as Json[]).map(
        (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? ''}`,
      )
      expect(problems).toEqual([])
      expect(run.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('declares a usable security scheme on every operation that needs credentials', async () => {
    const schemes = doc.components.securitySchemes as Record<string, Json>
    /** The secret a user would type into Swagger UI's "Authorize" for each scheme. */
    const secrets: Record<string, string> = {
      urlShortenerApiKey: API_KEY,
      urlShortenerQueryApiKey: API_KEY,
      jobsBearer: JOBS_TOKEN,
      rateLimiterBearer: ADMIN_TOKEN,
      chatAdmin: CHAT_ADMIN_TOKEN,
      authAdminToken,
      paymentsSecretKey: PAYMENTS_KEY,
    }
    let guarded = 0
    for (const [i, { method, path, op }] of operations.entries()) {
      // A chat user of its own per operation: one of them revokes its user's tokens.
      const user = `docs-reader-${i}`
      const chatToken = (
        await app.http.inject({ method: 'POST', url: '/chat/tokens', payload: { user } })
      ).json().token as string
      secrets.chatBearer = chatToken
      secrets.chatAccessToken = chatToken
      // The platform's live endpoint accepts the tokens of every system that registered a check (chat's).
      secrets.liveBearer = chatToken
      secrets.liveAccessToken = chatToken
      const boardToken = (
        await app.http.inject({ method: 'POST', url: '/board/tokens', payload: { user } })
      ).json().token as string
      secrets.boardBearer = boardToken
      secrets.boardAccessToken = boardToken
      secrets.boardAdmin = ADMIN_TOKEN
      const url = path.replace(/\{[^}]+\}/g, 'x')
      // A public event stream (the seat map's /inventory/live/sse) has no credentials to check, and
      // a bare inject() of it would wait for the stream's end.
      if (path.endsWith('/sse') && !(op.security ?? []).some((r: Json) => Object.keys(r).length > 0)) continue
      const body = op.requestBody ? { payload: {} } : {}
      const bare = await app.http.inject({ method: method.toUpperCase() as 'GET', url, ...body })
      if (bare.statusCode !== 401) continue
      guarded++
      const requirement = (op.security ?? []).find((r: Json) => Object.keys(r).length > 0)
      expect(requirement, `${method} ${path} answers 401 but declares no security`).toBeDefined()
      // Apply the first requirement the way Swagger UI would.
      const headers: Record<string, string> = {}
      const query: Record<string, string> = {}
      for (const name of Object.keys(requirement)) {
        const scheme = schemes[name]
        expect(scheme, `${method} ${path} names an undeclared scheme ${name}`).toBeDefined()
        expect(secrets[name], `no test secret for scheme ${name}`).toBeDefined()
        if (scheme.type === 'http' && scheme.scheme === 'bearer')
          headers.authorization = `Bearer ${secrets[name]}`
        else if (scheme.type === 'apiKey' && scheme.in === 'header')
          headers[scheme.name.toLowerCase()] = secrets[name]!
        else if (scheme.type === 'apiKey' && scheme.in === 'query') query[scheme.name] = secrets[name]!
        else throw new Error(`scheme ${name} of a kind this test does not apply`)
      }
      // Over a socket: an event stream (`/chat/sse`, `/live/sse`) answers its status at once and stays open.
      const search = new URLSearchParams(query).toString()
      const authed = await request(`${origin}${url}${search ? `?${search}` : ''}`, {
        method: method.toUpperCase() as 'GET',
        headers: { ...headers, ...(op.requestBody && { 'content-type': 'application/json' }) },
        body: op.requestBody ? '{}' : undefined,
      })
      if (String(authed.headers['content-type']).startsWith('text/event-stream'))
        authed.body.on('error', () => {}).destroy()
      else await authed.body.dump()
      expect(authed.statusCode, `${method} ${path} with its declared scheme`).not.toBe(401)
    }
    // The URL shortener, jobs, chat and the rate limiter's admin routes are guarded here.
    expect(guarded).toBeGreaterThan(40)
    // A chat token and a request or two per operation of every system: minutes on a loaded machine.
  }, 180_000)

  it('closes every body object of an API of our own design, so unknown fields are refused', () => {
    /** Bodies that follow another protocol's rule for unknown fields (docs/platform.md, "Edge rules"). */
    const protocol = (path: string) =>
      path.startsWith('/rest/') || // Shlink REST: ignored, as Shlink does
      path === '/rate-limiter/json' || // Envoy RLS JSON: refused in code, by protojson's names
      path === '/chat/sessions/{session}/frames' || // chat protocol frames: the frame parser's rules
      path === '/live/sessions/{session}/frames' || // live protocol frames (the platform's endpoint): the same
      path === '/inventory/live/sessions/{session}/frames' || // the seat map's live endpoint: the same
      path.startsWith('/gateway/admin/') // Kong's Admin API: refused in code, by Kong's entity and plugin schemas
    const open: string[] = []
    const walk = (schema: Json, at: string) => {
      if (Array.isArray(schema)) {
        for (let i = 0; i < schema.length; i++) walk(schema[i], `${at}/${i}`)
      } else if (schema && typeof schema === 'object') {
        if (schema.type === 'object' && schema.properties && schema.additionalProperties !== false)
          open.push(at)
        for (const [k, v] of Object.entries(schema)) walk(v, `${at}/${k}`)
      }
    }
    for (const { method, path, op } of operations) {
      const body = op.requestBody?.content?.['application/json']?.schema
      if (body && !protocol(path)) walk(body, `${method} ${path}`)
    }
    expect(open).toEqual([])
  })

  it("groups each system's operations under one tag, the system's name, declared at the top", () => {
    const declared = new Set((doc.tags as Json[]).map((t) => t.name))
    const names = new Set(['platform', ...systems.map((s) => s.name)])
    const perTag = new Map<string, number>()
    for (const { method, path, op } of operations) {
      expect(op.tags, `${method} ${path}`).toHaveLength(1)
      const tag = op.tags[0]
      expect(names.has(tag) && declared.has(tag), `${method} ${path} is tagged ${tag}`).toBe(true)
      perTag.set(tag, (perTag.get(tag) ?? 0) + 1)
    }
    // Every system's deep link (`/docs#/<name>`, what web/ links to) lands on its operations.
    for (const s of systems) expect(perTag.get(s.name), s.name).toBeGreaterThan(0)
    // And every operation under a system's prefix is under its tag (the URL shortener's Shlink API at /rest).
    const owner = (path: string) =>
      path.startsWith('/rest/') ? 'url-shortener' : systems.find((s) => path.startsWith(`/${s.name}/`))?.name
    for (const { method, path, op } of operations)
      if (owner(path) !== undefined) expect(op.tags[0], `${method} ${path}`).toBe(owner(path))
  })
})
