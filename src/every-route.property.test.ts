/**
 * Every route of every system, thrown random Unicode (U+0000 and lone UTF-16 surrogates
 * included) in its path parameters, query string and body, over a real socket: never a 5xx and
 * never a hang. The routes come from the OpenAPI document (plus the few it hides), so a route
 * added later is covered without editing this file. Runs on the embedded adapters and, under
 * TEST_SERVICES=1, on PostgreSQL, Redis and NATS, where PostgreSQL refuses such text itself.
 */
import fc from 'fast-check'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from './platform/testing/app.js'
import { backends } from './platform/testing/backends.js'
import { systems } from './systems/index.js'

const API_KEY = 'fuzz-api-key-0000-0000-000000000000'
const JOBS_TOKEN = 'fuzz-jobs-token'
/** The payments /v1 API's secret key (Stripe's test-key format). */
const PAYMENTS_KEY = 'sk_test_fuzz0000000000000000000000'
const ADMIN_TOKEN = 'fuzz-admin-token'

/** A route of the app, as the OpenAPI document describes it. */
interface Operation {
  method: string
  path: string
  params: { name: string; in: 'path' | 'query'; schema: Schema }[]
  body?: Schema
  /** A body the route reads without a JSON schema (the rate limiter's YAML). */
  rawBody?: string
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema as @fastify/swagger renders it
type Schema = any

/** Routes the OpenAPI document hides, with what they take. */
const HIDDEN: Operation[] = [
  { method: 'GET', path: '/chat/ws', params: [{ name: 'v', in: 'query', schema: { type: 'integer' } }] },
  {
    method: 'GET',
    path: '/console/{rest}',
    params: [{ name: 'rest', in: 'path', schema: { type: 'string' } }],
  },
  {
    method: 'GET',
    path: '/docs/static/{file}',
    params: [{ name: 'file', in: 'path', schema: { type: 'string' } }],
  },
  { method: 'GET', path: '/openapi.json', params: [] },
  { method: 'PUT', path: '/rate-limiter/config', params: [], rawBody: 'application/yaml' },
]

/** Code units PostgreSQL cannot store. */
const badUnit = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff')

/** Random text: any code point (half surrogates included), or a plausible value with a bad unit planted. */
function textFor(known: string[]): fc.Arbitrary<string> {
  const plausible = known.length > 0 ? fc.constantFrom(...known) : fc.constantFrom('a', 'x1', '2026-01-01')
  return fc.oneof(
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    {
      weight: 3,
      arbitrary: fc.tuple(plausible, badUnit, fc.nat()).map(([s, bad, at]) => {
        const cut = at % (s.length + 1)
        return s.slice(0, cut) + bad + s.slice(cut)
      }),
    },
    { weight: 3, arbitrary: plausible },
  )
}

/** A value for `schema`: shaped like it (so it reaches the handler), its strings random Unicode. */
function valueFor(
  schema: Schema,
  known: Record<string, string[]>,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const text = textFor(known[name] ?? [])
  if (!schema || depth > 4) return fc.oneof(text, fc.jsonValue({ maxDepth: 2 }))
  const options = schema.anyOf ?? schema.oneOf
  if (Array.isArray(options))
    return fc.oneof(...options.map((s: Schema) => valueFor(s, known, name, depth + 1)))
  if (Array.isArray(schema.enum)) return fc.oneof(fc.constantFrom(...schema.enum), text)
  switch (schema.type) {
    case 'string':
      return text
    case 'integer':
    case 'number': {
      // Near the bottom of the allowed range (a big `maximum` would mostly give huge values).
      const min = Math.ceil(schema.minimum ?? -5)
      const max = Math.max(min, Math.min(schema.maximum ?? min + 100, min + 100))
      return fc.oneof(fc.integer({ min, max }), text)
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), text)
    case 'array':
      return fc.array(valueFor(schema.items, known, name, depth + 1), { maxLength: 4 })
    case 'object': {
      const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>)
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [key, sub] of props) record[key] = valueFor(sub, known, key, depth + 1)
      const required = new Set<string>(schema.required ?? [])
      return fc
        .tuple(
          fc.record(record, { requiredKeys: [...required].filter((k) => k in record) }),
          fc.dictionary(textFor([]), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          fc.nat(4).map((n) => n === 0),
        )
        .map(([obj, extra, addExtra]) => (addExtra ? { ...obj, ...extra } : obj))
    }
    default:
      return fc.oneof(text, fc.jsonValue({ maxDepth: 2 }), fc.dictionary(textFor([]), text, { maxKeys: 3 }))
  }
}

/** Percent-encode any text, a lone surrogate as the bytes a lax encoder (WTF-8) would send. */
function encodeAny(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2))
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out +=
        `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase()
    } else out += encodeURIComponent(text[i] as string)
  }
  return out
}

/** One random request for `op`: its URL (path and query) and body. */
function requestFor(op: Operation, known: Record<string, string[]>) {
  const path = op.params.filter((p) => p.in === 'path')
  const query = op.params.filter((p) => p.in === 'query')
  const pathValues = fc.tuple(...path.map((p) => textFor(known[p.name] ?? [])))
  const queryValues = fc.tuple(
    ...query.map((p) => fc.option(valueFor(p.schema, known, p.name), { nil: undefined, freq: 2 })),
  )
  const extraQuery = fc.option(fc.tuple(textFor([]), textFor([])), { nil: undefined })
  const body: fc.Arbitrary<string | undefined> = op.body
    ? fc.oneof(
        { weight: 6, arbitrary: valueFor(op.body, known).map((v) => JSON.stringify(v)) },
        fc.constant(''),
      )
    : op.rawBody
      ? textFor(['domain: d\ndescriptors: []\n'])
      : fc.constantFrom(undefined, '')
  return fc.tuple(pathValues, queryValues, extraQuery, body).map(([pv, qv, extra, payload]) => {
    let url = op.path
    path.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, encodeAny(pv[i] as string))
    })
    const pairs: string[] = []
    query.forEach((p, i) => {
      const v = qv[i]
      if (v === undefined) return
      for (const item of Array.isArray(v) ? v : [v])
        pairs.push(
          `${encodeAny(p.name)}=${encodeAny(typeof item === 'string' ? item : JSON.stringify(item))}`,
        )
    })
    if (extra) pairs.push(`${encodeAny(extra[0])}=${encodeAny(extra[1])}`)
    return { url: pairs.length > 0 ? `${url}?${pairs.join('&')}` : url, payload }
  })
}

/** The credentials of the system that owns `path`. */
function authFor(path: string, chatToken: string): Record<string, string> {
  if (path.startsWith('/jobs/')) return { authorization: `Bearer ${JOBS_TOKEN}` }
  if (path.startsWith('/rate-limiter/')) return { authorization: `Bearer ${ADMIN_TOKEN}` }
  if (path.startsWith('/chat/')) return { authorization: `Bearer ${chatToken}` }
  if (path.startsWith('/v1/')) return { authorization: `Bearer ${PAYMENTS_KEY}` }
  return { 'x-api-key': API_KEY }
}

describe.each(backends())('every route, random Unicode (%s)', (backend) => {
  let app: App
  let origin: string
  let chatToken = ''
  const known: Record<string, string[]> = {}
  let operations: Operation[] = []

  beforeAll(async () => {
    app = await buildTestApp(backend, {
      systems,
      env: {
        INITIAL_API_KEY: API_KEY,
        JOBS_API_TOKEN: JOBS_TOKEN,
        RATE_LIMITER_ADMIN_TOKEN: ADMIN_TOKEN,
        PAYMENTS_INITIAL_SECRET_KEY: PAYMENTS_KEY,
      },
      startWorkers: false,
    })
    origin = await app.start()
    const call = async (method: string, path: string, body?: unknown, token = '') => {
      const res = await request(`${origin}${path}`, {
        method: method as 'POST',
        headers: {
          ...authFor(path, token),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.statusCode, body: (await res.body.json().catch(() => undefined)) as Schema }
    }
    // Real resources, so that some requests reach a row instead of a 404.
    chatToken = (await call('POST', '/chat/tokens', { user: 'fuzzer' })).body.token
    const room = (await call('POST', '/chat/rooms', { name: 'fuzz' }, chatToken)).body
    await call('POST', `/chat/rooms/${room.id}/messages`, { body: 'hello' }, chatToken)
    await call('POST', '/rest/v3/short-urls', {
      longUrl: 'https://example.com/',
      customSlug: 'fuzz1',
      tags: ['t'],
    })
    await call('PUT', '/jobs/queues/fuzz', {})
    const job = (await call('POST', '/jobs/queues/fuzz/jobs', { task: 'http', payload: {} })).body
    Object.assign(known, {
      shortCode: ['fuzz1'],
      tag: ['t'],
      queue: ['fuzz'],
      id: [job?.id ?? '1'],
      room: [String(room.id)],
      user: ['fuzzer'],
      offset: ['1'],
      emoji: ['👍'],
      domain: ['DEFAULT'],
      longUrl: ['https://example.com/a'],
      url: ['https://example.com/hook'],
      task: ['http'],
      body: ['hello'],
      name: ['fuzz'],
      tags: ['t'],
    })
    const doc = app.http.swagger() as Schema
    operations = [...HIDDEN]
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Schema>))
      for (const [method, op] of Object.entries(methods as Record<string, Schema>))
        operations.push({
          method: method.toUpperCase(),
          path,
          params: (op.parameters ?? []).filter((p: Schema) => p.in === 'path' || p.in === 'query'),
          body: op.requestBody?.content?.['application/json']?.schema,
        })
  }, 120_000)
  afterAll(() => app?.close())

  it('covers every system', () => {
    const prefixes = new Set(operations.map((o) => o.path.split('/')[1]))
    for (const p of ['rest', 'jobs', 'chat', 'rate-limiter', '{shortCode}', 'healthz'])
      expect(prefixes).toContain(p)
    expect(operations.length).toBeGreaterThan(60)
  })

  it('never answers a 5xx or hangs', async () => {
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(op, known), async ({ url, payload }) => {
          const headers: Record<string, string> = authFor(op.path, chatToken)
          if (payload !== undefined) headers['content-type'] = op.rawBody ?? 'application/json'
          // A generous bound: a request that gets no answer at all is the failure, not a slow one.
          const res = await request(`${origin}${url}`, {
            method: op.method as 'GET',
            headers,
            body: payload,
            headersTimeout: 60_000,
            bodyTimeout: 60_000,
          })
          const streaming = String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
          let text = ''
          // An event stream stays open by design: its status line is the answer.
          if (streaming) res.body.on('error', () => {}).destroy()
          else text = await res.body.text()
          // mercure-info answers 501 by design while no Mercure hub is configured (as Shlink does).
          const allowed = op.path === '/rest/v3/mercure-info' && res.statusCode === 501
          if (!allowed)
            expect(
              res.statusCode,
              `${op.method} ${url} ${payload ?? ''} -> ${text.slice(0, 300)}`,
            ).toBeLessThan(500)
        }),
        { numRuns: 12 },
      )
    }
  }, 600_000)
})
