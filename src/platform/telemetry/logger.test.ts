/** Log lines written while handling a request carry its request id and the caller's trace ids. */
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { buildApp } from '../../app.js'
import { createMemoryBus } from '../bus/memory.js'
import { loadConfig } from '../config.js'
import { defineSystem } from '../system.js'
import { testDb } from '../testing/backends.js'
import { createLogger } from './logger.js'

const lines: Record<string, unknown>[] = []
const capture = new Writable({
  write(chunk, _enc, cb) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
    cb()
  },
})

const noisy = defineSystem({
  name: 'noisy',
  description: 'logs once per request',
  async create() {
    return {
      routes(app) {
        app.get('/work', async (request) => {
          request.log.info({ step: 'working' }, 'doing the work')
          return { ok: true }
        })
      },
    }
  },
})

let app: App
beforeAll(async () => {
  app = await buildApp(loadConfig({ LOG_LEVEL: 'info' }), {
    systems: [noisy],
    db: await testDb('embedded'),
    bus: createMemoryBus(),
    redis: null,
    logger: createLogger('info', 'blueprints', capture),
  })
})
afterAll(() => app.close())

describe('request logs', () => {
  it('carry requestId, trace_id and span_id, and no per-request line of their own at info', async () => {
    lines.length = 0
    const traceId = '11112222333344445555666677778888'
    const res = await app.http.inject({
      url: '/noisy/work',
      headers: { 'x-request-id': 'req-42', traceparent: `00-${traceId}-aaaabbbbccccdddd-01` },
    })
    expect(res.statusCode).toBe(200)
    const work = lines.filter((l) => l.msg === 'doing the work')
    expect(work).toHaveLength(1)
    expect(work[0]).toMatchObject({ requestId: 'req-42', trace_id: traceId, level: 'info', step: 'working' })
    expect(work[0]!.span_id).toMatch(/^[0-9a-f]{16}$/)
    // Fastify's "incoming request" / "request completed" lines are off: they cost a third of the throughput.
    expect(lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([])
  })
})
