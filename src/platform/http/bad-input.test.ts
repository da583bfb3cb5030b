/**
 * Bad input never reaches a 5xx: random bodies, content types and raw bytes
 * at a validated route, oversized heads on a real socket, and a failing
 * dependency reported by /readyz.
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { buildApp } from '../../app.js'
import { createMemoryBus } from '../bus/memory.js'
import { loadConfig } from '../config.js'
import type { Db } from '../db/port.js'
import { createLogger } from '../telemetry/logger.js'
import { buildTestApp } from '../testing/app.js'
import { testDb } from '../testing/backends.js'
import { fixtureSystem } from '../testing/fixture-system.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp('embedded', {
    systems: [fixtureSystem],
    env: { BODY_LIMIT: '4096', MAX_HEADER_SIZE: '2048' },
  })
})
afterAll(() => app.close())

const jsonValue = fc.jsonValue({ maxDepth: 4 })
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  'application/json; charset=latin1',
)

describe('random bodies at a validated route', () => {
  it('answer 2xx or a 4xx problem+json, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          jsonValue.map((v) => JSON.stringify(v)),
          fc
            .record({
              name: fc.string(),
              count: fc.oneof(fc.integer(), fc.double(), fc.string()),
              tags: fc.anything(),
            })
            .map((v) => JSON.stringify(v)),
          fc.string(),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        contentTypes,
        async (payload, contentType) => {
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {}
          const res = await app.http.inject({ method: 'POST', url: '/fixture/things', headers, payload })
          expect(res.statusCode).toBeLessThan(500)
          if (res.statusCode >= 400) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
            expect(JSON.parse(res.body).status).toBe(res.statusCode)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('answer random bytes with a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const res = await app.http.inject({
          method: 'POST',
          url: '/fixture/things',
          headers: { 'content-type': 'application/json' },
          payload: Buffer.from(bytes),
        })
        expect(res.statusCode).toBeGreaterThanOrEqual(400)
        expect(res.statusCode).toBeLessThan(500)
      }),
      { numRuns: 200 },
    )
  })

  it('random query strings at a validated query never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (ms) => {
        const res = await app.http.inject({
          method: 'GET',
          url: `/fixture/slow?ms=${encodeURIComponent(ms)}`,
        })
        expect(res.statusCode === 200 || res.statusCode === 400).toBe(true)
      }),
      { numRuns: 100, examples: [['-1'], ['1e9'], ['abc'], ['']] },
    )
  })
})

/** Send raw bytes to a listening server; resolve the raw response text. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d) => {
      out += d.toString('latin1')
    })
    socket.on('end', () => resolve(out))
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
    socket.write(text)
  })
}

describe('on a real socket', () => {
  let port: number
  beforeAll(async () => {
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    port = (app.http.server.address() as { port: number }).port
  })

  it('a head over MAX_HEADER_SIZE gets 431 problem+json', async () => {
    const res = await rawRequest(
      port,
      `GET /fixture/ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`,
    )
    expect(res).toMatch(/^HTTP\/1\.1 431 /)
    expect(res).toContain('application/problem+json')
    expect(res).toContain('"code":"HEADERS_TOO_LARGE"')
  })

  it('garbage that is not HTTP gets 400 problem+json', async () => {
    const res = await rawRequest(port, 'THIS IS NOT HTTP\r\n\r\n')
    expect(res).toMatch(/^HTTP\/1\.1 400 /)
    expect(res).toContain('"code":"MALFORMED_REQUEST"')
  })
})

describe('readiness with a failing dependency', () => {
  it('/readyz answers 503 naming the database', async () => {
    const real = await testDb('embedded')
    const broken: Db = { ...real, ping: async () => Promise.reject(new Error('connection refused')) }
    const failing = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), {
      systems: [],
      db: broken,
      bus: createMemoryBus(),
      redis: null,
      logger: createLogger('silent'),
    })
    try {
      const res = await failing.http.inject({ url: '/readyz' })
      expect(res.statusCode).toBe(503)
      const body = res.json()
      expect(body.code).toBe('DEPENDENCY_UNAVAILABLE')
      expect(body.dependencies).toEqual(['database'])
      expect(body.detail).toContain('connection refused')
      expect(body.checks.bus).toEqual({ status: 'ok' })
    } finally {
      await failing.close()
    }
  })
})
