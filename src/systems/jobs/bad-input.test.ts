/**
 * Bad input: every case the issue names answers a clear 4xx problem+json
 * with a stable code, never a 500 or a stuck job; and random bodies at
 * every write route never produce a 5xx (fast-check).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type JobsClient, jobsApp, type Res } from './testing.js'

const anyText = fc.string({ unit: 'binary', maxLength: 30 })
const field = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constantFrom(
    'noop',
    'http',
    'sleep',
    'default',
    '* * * * *',
    '61 * * * *',
    'Europe/Paris',
    'Nowhere/Land',
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2024-02-30T25:61:00Z',
    '99999999999999999999',
    '1',
    '-1',
    'http://127.0.0.1/',
    '\u0000',
    'a'.repeat(600),
  ),
)
const jobBody = fc.record(
  {
    task: field,
    payload: field,
    priority: field,
    runAt: field,
    maxAttempts: field,
    key: field,
    keyMode: field,
    groupKey: field,
    timeoutMs: field,
    dependsOn: fc.oneof(field, fc.array(field, { maxLength: 3 })),
    onParentFailure: field,
    ref: field,
  },
  { requiredKeys: [] },
)

function expectProblem(res: Res, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  if (code) expect(res.json().code).toBe(code)
}

describe.each(backends())('jobs bad input (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend, { JOBS_MAX_PAYLOAD_BYTES: '1024', JOBS_WORKER: 'false' })
  })
  afterAll(() => c.close())
  const enqueue = (body: unknown, queue = 'default') => c.call('POST', `/jobs/queues/${queue}/jobs`, body)

  it('names each bad enqueue with a 4xx and a stable code', async () => {
    expectProblem(
      await enqueue({ task: 'noop', payload: { big: 'x'.repeat(2000) } }),
      413,
      'JOBS_PAYLOAD_TOO_LARGE',
    )
    expectProblem(await enqueue({ task: 'noop' }, 'no-such-queue'), 404, 'JOBS_UNKNOWN_QUEUE')
    expectProblem(await enqueue({ task: 'no-such-task' }), 422, 'JOBS_UNKNOWN_TASK')
    expectProblem(await enqueue({ task: 'noop', runAt: '1971-01-01T00:00:00Z' }), 422, 'JOBS_INVALID_RUN_AT')
    expectProblem(await enqueue({ task: 'noop', runAt: '2999-01-01T00:00:00Z' }), 422, 'JOBS_INVALID_RUN_AT')
    expect((await enqueue({ task: 'noop', runAt: 'tomorrow' })).statusCode).toBeGreaterThanOrEqual(400)
    expectProblem(await enqueue({ task: 'noop', dependsOn: ['123456789'] }), 422, 'JOBS_UNKNOWN_DEPENDENCY')
    expectProblem(await enqueue({ task: 'noop', dependsOn: ['abc'] }), 422, 'JOBS_INVALID')
    expectProblem(await enqueue({ task: 'noop', maxAttempts: 0 }), 400, 'VALIDATION_FAILED')
    expectProblem(await enqueue({ task: 'sleep', payload: { ms: -5 } }), 422, 'JOBS_INVALID')
    expectProblem(await enqueue({ nope: 1 }), 400, 'VALIDATION_FAILED')
    expectProblem(await c.call('GET', '/jobs/jobs/abc'), 404, 'JOBS_UNKNOWN_JOB')
    expectProblem(await c.call('POST', '/jobs/jobs/99999999999999999999/cancel'), 404, 'JOBS_UNKNOWN_JOB')
    expectProblem(
      await c.call('POST', '/jobs/queues/default/jobs/batch', {
        jobs: [
          { ref: 'a', task: 'noop', dependsOn: ['b'] },
          { ref: 'b', task: 'noop', dependsOn: ['a'] },
        ],
      }),
      422,
      'JOBS_DEPENDENCY_CYCLE',
    )
  })

  it('names the refused fields in invalidParams (RFC 9457), schema and domain checks alike', async () => {
    const names = (res: Res) => {
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, res.body).toBeLessThan(500)
      const params = res.json().invalidParams as { name: string; reason: string }[]
      for (const p of params) expect(p.reason.length, res.body).toBeGreaterThan(0)
      return params.map((p) => p.name)
    }
    const batch = (jobs: unknown[]) => c.call('POST', '/jobs/queues/default/jobs/batch', { jobs })
    const put = (name: string, body: unknown) => c.call('PUT', `/jobs/schedules/${name}`, body)
    // The route's schema (VALIDATION_FAILED), the platform's format.
    expect(names(await enqueue({ task: 'noop', maxAttempts: 0 }))).toEqual(['maxAttempts'])
    expect(names(await enqueue({ payload: {} }))).toEqual(['task'])
    expect(names(await batch([{ task: 'noop' }, { task: 'noop', priority: 'high' }]))).toEqual([
      'jobs[1].priority',
    ])
    // The system's own checks.
    expect(names(await enqueue({ task: 'no-such-task' }))).toEqual(['task'])
    expect(names(await enqueue({ task: 'noop', runAt: '1971-01-01T00:00:00Z' }))).toEqual(['runAt'])
    expect(names(await enqueue({ task: 'noop', runAt: 'tomorrow' }))).toEqual(['runAt'])
    expect(names(await enqueue({ task: 'noop', payload: { big: 'x'.repeat(2000) } }))).toEqual(['payload'])
    expect(names(await enqueue({ task: 'sleep', payload: { ms: -5 } }))).toEqual(['payload.ms'])
    expect(names(await enqueue({ task: 'noop', dependsOn: ['abc'] }))).toEqual(['dependsOn'])
    expect(names(await enqueue({ task: 'noop', dependsOn: ['123456789'] }))).toEqual(['dependsOn'])
    expect(names(await enqueue({ task: 'http', payload: { url: 'http://127.0.0.1/' } }))).toEqual([
      'payload.url',
    ])
    expect(
      names(await enqueue({ task: 'http', payload: { url: 'https://example.com/', timeoutMs: 0 } })),
    ).toEqual(['payload.timeoutMs'])
    expect(names(await batch([{ task: 'noop' }, { task: 'no-such-task' }]))).toEqual(['jobs[1].task'])
    expect(
      names(
        await batch([
          { task: 'noop', ref: 'a' },
          { task: 'noop', ref: 'a' },
        ]),
      ),
    ).toEqual(['jobs[1].ref'])
    expect(
      names(
        await batch([
          { task: 'noop', ref: 'a', dependsOn: ['b'] },
          { task: 'noop', ref: 'b', dependsOn: ['a'] },
        ]),
      ),
    ).toEqual(['dependsOn'])
    expect(names(await put('s', { task: 'noop', cron: '61 * * * *' }))).toEqual(['cron'])
    expect(names(await put('s', { task: 'noop', cron: '* * * * *', tz: 'Mars/Base' }))).toEqual(['tz'])
    expect(names(await c.call('PUT', '/jobs/queues/q', { rateLimit: 5 }))).toEqual([
      'rateLimit',
      'ratePeriodMs',
    ])
    expect(names(await c.call('POST', '/jobs/redrive', {}))).toEqual(['ids', 'queue', 'task', 'all'])
    const reused = { 'idempotency-key': `k-${Math.random()}` }
    await c.call('POST', '/jobs/queues/default/jobs', { task: 'noop' }, reused)
    expect(names(await c.call('POST', '/jobs/queues/default/jobs', { task: 'sleep' }, reused))).toEqual([
      'Idempotency-Key',
    ])
  })

  it('refuses forbidden and unreachable HTTP targets', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://10.1.2.3/',
      'http://2130706433/',
      'http://[::ffff:127.0.0.1]/',
      'file:///etc/passwd',
    ])
      expectProblem(await enqueue({ task: 'http', payload: { url } }), 422, 'JOBS_FORBIDDEN_TARGET')
    expectProblem(
      await enqueue({ task: 'http', payload: { url: 'http://no-such-host.invalid/hook' } }),
      422,
      'JOBS_UNREACHABLE_TARGET',
    )
    expectProblem(await enqueue({ task: 'http', payload: { url: 'not a url' } }), 422, 'JOBS_INVALID')
    expectProblem(await enqueue({ task: 'http', payload: 'x' }), 422, 'JOBS_INVALID')
    expectProblem(
      await enqueue({
        task: 'http',
        payload: { url: 'http://93.184.215.14/', headers: { 'x-a': 'b\r\nc' } },
      }),
      422,
      'JOBS_INVALID',
    )
  })

  it('refuses bad schedules, queues and redrives', async () => {
    const put = (name: string, body: unknown) => c.call('PUT', `/jobs/schedules/${name}`, body)
    expectProblem(await put('s', { task: 'noop', cron: '61 * * * *' }), 422, 'JOBS_INVALID_CRON')
    expectProblem(await put('s', { task: 'noop', cron: '* * *' }), 422, 'JOBS_INVALID_CRON')
    expectProblem(
      await put('s', { task: 'noop', cron: '* * * * *', tz: 'Mars/Base' }),
      422,
      'JOBS_INVALID_TIME_ZONE',
    )
    expectProblem(await put('s', { task: 'nope', cron: '* * * * *' }), 422, 'JOBS_UNKNOWN_TASK')
    expectProblem(
      await put('s', { task: 'noop', cron: '* * * * *', queue: 'missing' }),
      404,
      'JOBS_UNKNOWN_QUEUE',
    )
    expectProblem(await put('bad name!', { task: 'noop', cron: '* * * * *' }), 400, 'VALIDATION_FAILED')
    expectProblem(await c.call('PUT', '/jobs/queues/q', { rateLimit: 5 }), 422, 'JOBS_INVALID')
    expectProblem(await c.call('POST', '/jobs/queues/missing/pause'), 404, 'JOBS_UNKNOWN_QUEUE')
    expectProblem(await c.call('POST', '/jobs/redrive', {}), 422, 'JOBS_INVALID')
    expectProblem(await c.call('DELETE', '/jobs/schedules/missing'), 404, 'JOBS_UNKNOWN_SCHEDULE')
  })

  it('redrives one of several dead jobs sharing a key, never both (no 500 on the unique key)', async () => {
    const parent = (await enqueue({ task: 'noop' })).json().id
    await c.call('POST', `/jobs/jobs/${parent}/cancel`)
    const a = (await enqueue({ task: 'noop', key: 'dup', dependsOn: [parent] })).json()
    const b = (await enqueue({ task: 'noop', key: 'dup', dependsOn: [parent] })).json()
    expect([a.state, b.state]).toEqual(['dead', 'dead'])
    const res = await c.call('POST', '/jobs/redrive', { ids: [a.id, b.id] })
    expect(res.statusCode).toBe(200)
    expect(res.json().ids).toEqual([b.id])
    expect((await c.call('POST', '/jobs/redrive', { ids: [a.id] })).json().redriven).toBe(0)
  })

  it('never answers 5xx to random bodies at any write route', async () => {
    await fc.assert(
      fc.asyncProperty(jobBody, fc.constantFrom('default', 'missing'), async (body, queue) => {
        const res = await enqueue(body, queue)
        expect(res.statusCode, res.body).toBeLessThan(500)
      }),
      { numRuns: 150 },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(jobBody, { maxLength: 4 }), async (jobs) => {
        const res = await c.call('POST', '/jobs/queues/default/jobs/batch', { jobs })
        expect(res.statusCode, res.body).toBeLessThan(500)
      }),
      { numRuns: 80 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            task: field,
            cron: field,
            tz: field,
            queue: field,
            catchUp: field,
            payload: field,
            enabled: field,
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const res = await c.call('PUT', '/jobs/schedules/prop', body)
          expect(res.statusCode, res.body).toBeLessThan(500)
        },
      ),
      { numRuns: 80 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { concurrency: field, rateLimit: field, ratePeriodMs: field, groupRateLimit: field },
          { requiredKeys: [] },
        ),
        fc.record({ ids: field, queue: field, task: field, all: field }, { requiredKeys: [] }),
        async (queueBody, redriveBody) => {
          expect((await c.call('PUT', '/jobs/queues/prop', queueBody)).statusCode).toBeLessThan(500)
          expect((await c.call('POST', '/jobs/redrive', redriveBody)).statusCode).toBeLessThan(500)
        },
      ),
      { numRuns: 60 },
    )
    await fc.assert(
      fc.asyncProperty(anyText, fc.constantFrom('GET', 'POST'), async (id, method) => {
        const url = `/jobs/jobs/${encodeURIComponent(id)}${method === 'POST' ? '/cancel' : ''}`
        expect((await c.call(method, url)).statusCode).toBeLessThan(500)
        const list = await c.call(
          'GET',
          `/jobs/jobs?state=${encodeURIComponent(id)}&before=${encodeURIComponent(id)}`,
        )
        expect(list.statusCode).toBeLessThan(500)
      }),
      { numRuns: 60 },
    )
  })
  it('never answers 5xx at the pull and by-key routes', async () => {
    await c.call('PUT', '/jobs/queues/prop-pull', { pull: true })
    const pullPaths = ['/jobs/pull/fetch', '/jobs/pull/heartbeat', '/jobs/pull/complete', '/jobs/pull/fail']
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pullPaths),
        fc.record(
          {
            worker: field,
            queues: fc.oneof(field, fc.array(fc.constantFrom('prop-pull', 'default', 'missing'))),
            tasks: field,
            max: field,
            leaseMs: field,
            waitMs: fc.constantFrom(undefined, 0),
            jobs: fc.oneof(field, fc.array(fc.record({ id: field, leaseToken: field }))),
            id: field,
            leaseToken: field,
            error: field,
            retryInMs: field,
          },
          { requiredKeys: [] },
        ),
        async (path, body) => {
          const res = await c.call('POST', path, body)
          expect(res.statusCode, res.body).toBeLessThan(500)
        },
      ),
      { numRuns: 150 },
    )
    await fc.assert(
      fc.asyncProperty(
        anyText,
        fc.constantFrom('GET', 'DELETE', 'PATCH'),
        fc.record({ runAt: field, priority: field, maxAttempts: field }, { requiredKeys: [] }),
        async (key, method, body) => {
          const url = `/jobs/queues/default/keys/${encodeURIComponent(key)}`
          const res = await c.call(method, url, method === 'PATCH' ? body : undefined)
          expect(res.statusCode, res.body).toBeLessThan(500)
        },
      ),
      { numRuns: 100 },
    )
  })
})
