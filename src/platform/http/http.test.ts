/**
 * The HTTP edge of the platform: every error is problem+json, limits hold,
 * request ids and trace context flow, health/readiness/metrics/OpenAPI answer.
 */
import { trace } from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { defineSystem } from '../system.js'
import { buildTestApp } from '../testing/app.js'
import { fixtureSystem } from '../testing/fixture-system.js'
import { paramName } from './error-handler.js'

const traceProbe = defineSystem({
  name: 'probe',
  description: 'reports the active trace id',
  async create() {
    return {
      routes(app) {
        app.get('/trace', async () => ({ traceId: trace.getActiveSpan()?.spanContext().traceId ?? null }))
        app.get('/boom', async () => {
          throw new Error('secret internal detail')
        })
      },
    }
  },
})

let app: App
beforeAll(async () => {
  app = await buildTestApp('embedded', { systems: [fixtureSystem, traceProbe], env: { BODY_LIMIT: '2048' } })
})
afterAll(() => app.close())

const json = { 'content-type': 'application/json' }

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = JSON.parse(res.body)
  expect(body).toMatchObject({ status, code, title: expect.any(String), type: expect.any(String) })
  expect(body.requestId).toBe(res.headers['x-request-id'])
  return body
}

describe('errors are problem+json', () => {
  it('404 for an unknown route', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/no/such/route' })
    expect(expectProblem(res, 404, 'NOT_FOUND').detail).toContain('/no/such/route')
  })

  it('405 with Allow for a known path and the wrong method', async () => {
    const res = await app.http.inject({ method: 'DELETE', url: '/fixture/things' })
    expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.allow).toBe('POST')
  })

  it('400 with the failing field for a validation error', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/fixture/things',
      headers: json,
      payload: { name: '', count: 1 },
    })
    const body = expectProblem(res, 400, 'VALIDATION_FAILED')
    expect(body.errors[0].path).toBe('body/name')
    // RFC 9457's field list, with the field named as the client writes it.
    expect(body.invalidParams).toEqual([{ name: 'name', reason: body.errors[0].message }])
  })

  it('400 for malformed JSON, and for prototype poisoning', async () => {
    expectProblem(
      await app.http.inject({ method: 'POST', url: '/fixture/things', headers: json, payload: '{"name":' }),
      400,
      'INVALID_JSON',
    )
    const poisoned = '{"name":"a","count":1,"__proto__":{"admin":true}}'
    expectProblem(
      await app.http.inject({ method: 'POST', url: '/fixture/things', headers: json, payload: poisoned }),
      400,
      'INVALID_JSON',
    )
  })

  it('400 for a body that is not valid UTF-8', async () => {
    const payload = Buffer.concat([
      Buffer.from('{"name":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","count":1}'),
    ])
    expectProblem(
      await app.http.inject({ method: 'POST', url: '/fixture/things', headers: json, payload }),
      400,
      'INVALID_UTF8',
    )
  })

  it('413 for a body over BODY_LIMIT', async () => {
    const payload = JSON.stringify({ name: 'x'.repeat(5000), count: 1 })
    expectProblem(
      await app.http.inject({ method: 'POST', url: '/fixture/things', headers: json, payload }),
      413,
      'BODY_TOO_LARGE',
    )
  })

  it('415 for a content type the route does not take', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/fixture/things',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    })
    expect(expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE').detail).toContain('text/plain')
  })

  it('a domain AppError keeps its status and code', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/fixture/things',
      headers: json,
      payload: { name: 'taken', count: 1 },
    })
    expectProblem(res, 409, 'FIXTURE_NAME_TAKEN')
  })

  it('500 hides the internal message', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/probe/boom' })
    const body = expectProblem(res, 500, 'INTERNAL')
    expect(res.body).not.toContain('secret internal detail')
    expect(body.detail).toMatch(/unexpected/)
  })

  it('400 for a URL that is not valid percent-encoding', async () => {
    expectProblem(
      await app.http.inject({ method: 'GET', url: '/fixture/%E0%A4%A' }),
      400,
      'INVALID_URL_ENCODING',
    )
  })
})

describe('request ids and tracing', () => {
  it('honours a sane incoming x-request-id and replaces an unsafe one', async () => {
    const ok = await app.http.inject({
      method: 'GET',
      url: '/fixture/ping',
      headers: { 'x-request-id': 'abc-123' },
    })
    expect(ok.headers['x-request-id']).toBe('abc-123')
    const bad = await app.http.inject({
      method: 'GET',
      url: '/fixture/ping',
      headers: { 'x-request-id': 'a b\tc' },
    })
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/)
    const other = await app.http.inject({ method: 'GET', url: '/fixture/ping' })
    expect(other.headers['x-request-id']).not.toBe(bad.headers['x-request-id'])
  })

  it('continues the caller trace from traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const res = await app.http.inject({
      method: 'GET',
      url: '/probe/trace',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    })
    expect(res.json()).toEqual({ traceId })
    // Not exporting and no caller trace: nothing to continue, so no span is started (it costs ~10%).
    const fresh = await app.http.inject({ method: 'GET', url: '/probe/trace' })
    expect(fresh.json()).toEqual({ traceId: null })
  })
})

describe('health, readiness, metrics, OpenAPI', () => {
  it('/healthz and /readyz answer ok with each dependency checked', async () => {
    expect((await app.http.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await app.http.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok' }, bus: { status: 'ok' } },
    })
  })

  it('/metrics has RED metrics per system and route, and process metrics', async () => {
    await app.http.inject({ url: '/fixture/ping' })
    const res = await app.http.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{system="fixture",route="\/fixture\/ping",method="GET",status_code="200"\} [1-9]/,
    )
    expect(res.body).toContain('process_resident_memory_bytes')
  })

  it("keeps the console's own requests (x-blueprints-client: console) out of the RED histogram", async () => {
    const red = () => app.metrics.httpDuration.countOf('fixture', '/fixture/slow', 'GET', 200)
    const console = () => app.metrics.consoleDuration.countOf('fixture', '/fixture/slow', 'GET', 200)
    const [red0, console0] = [red(), console()]
    for (let i = 0; i < 3; i++)
      await app.http.inject({ url: '/fixture/slow?ms=0', headers: { 'x-blueprints-client': 'console' } })
    await app.http.inject({ url: '/fixture/slow?ms=0' })
    expect(red() - red0).toBe(1)
    expect(console() - console0).toBe(3)
    const body = (await app.http.inject({ url: '/metrics' })).body
    expect(body).toMatch(
      /http_console_request_duration_seconds_count\{system="fixture",route="\/fixture\/slow",method="GET",status_code="200"\} [1-9]/,
    )
  })

  it('/openapi.json is OpenAPI 3.1 and lists system routes; /docs serves the UI', async () => {
    const doc = (await app.http.inject({ url: '/openapi.json' })).json()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/fixture/things', '/readyz', '/healthz']))
    expect(doc.paths['/fixture/things'].post.tags).toEqual(['fixture'])
    const ui = await app.http.inject({ url: '/docs/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.body).toContain('swagger')
  })

  it('answers CORS preflights, echoing requested headers', async () => {
    const res = await app.http.inject({
      method: 'OPTIONS',
      url: '/fixture/things',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, content-type',
      },
    })
    expect(res.statusCode).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-headers']).toBe('x-api-key, content-type')
    expect(res.headers['access-control-allow-methods']).toContain('POST')
    const simple = await app.http.inject({ url: '/fixture/ping', headers: { origin: 'https://app.example' } })
    expect(simple.headers['access-control-allow-origin']).toBe('*')
    expect(simple.headers['access-control-expose-headers']).toContain('x-request-id')
    const noOrigin = await app.http.inject({ url: '/fixture/ping' })
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('allows only the configured CORS origins', async () => {
    const strict = await buildTestApp('embedded', {
      systems: [fixtureSystem],
      env: { CORS_ORIGINS: 'https://good.example' },
    })
    try {
      const good = await strict.http.inject({
        url: '/fixture/ping',
        headers: { origin: 'https://good.example' },
      })
      expect(good.headers['access-control-allow-origin']).toBe('https://good.example')
      expect(good.headers.vary).toContain('Origin')
      const bad = await strict.http.inject({
        url: '/fixture/ping',
        headers: { origin: 'https://evil.example' },
      })
      expect(bad.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await strict.close()
    }
  })
})

describe('paramName', () => {
  it.each([
    ['/name', 'body', 'name'],
    ['/payload/ms', 'body', 'payload.ms'],
    ['/jobs/2/task', 'body', 'jobs[2].task'],
    ['/tags/0', 'body', 'tags[0]'],
    ['/a~1b/c~0d', 'body', 'a/b.c~d'],
    ['', 'body', 'body'],
    ['/limit', 'querystring', 'limit'],
  ])('%s in %s -> %s', (pointer, context, name) => {
    expect(paramName(pointer, context)).toBe(name)
  })
})
