/**
 * The platform's edge rules as the jobs API shows them: text PostgreSQL cannot store is a 400
 * naming the field (never a 500, never silently U+FFFD in `key`/`groupKey`); a batch is one
 * transaction, so its bad item refuses the batch, naming the item; unknown fields are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type JobsClient, jobsApp } from './testing.js'

describe.each(backends())('jobs API edge input (%s)', (backend) => {
  let c: JobsClient
  beforeAll(async () => {
    c = await jobsApp(backend, {}, { startWorkers: false })
  })
  afterAll(() => c.close())

  const enqueue = (body: unknown) => c.call('POST', '/jobs/queues/default/jobs', body)

  it.each([
    ['a lone surrogate in the payload', { task: 'noop', payload: { note: 'x\ud800' } }, 'payload.note'],
    ['U+0000 in the payload', { task: 'noop', payload: ['ok', '\u0000'] }, 'payload[1]'],
    ['a lone surrogate in key', { task: 'noop', key: 'k\udc00' }, 'key'],
    ['a lone surrogate in groupKey', { task: 'noop', groupKey: 'tenant-\ud800' }, 'groupKey'],
    ['a bad payload key', { task: 'noop', payload: { 'a\u0000': 1 } }, 'payload.a\\u0000'],
  ])('%s is a 400 naming the field', async (_what, body, field) => {
    const res = await enqueue(body)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'UNSTORABLE_TEXT', invalidParams: [{ name: field }] })
  })

  it('stores no key as U+FFFD', async () => {
    await enqueue({ task: 'noop', key: 'k\ud800' })
    const list = (await c.call('GET', '/jobs/jobs?queue=default')).json()
    expect(JSON.stringify(list)).not.toContain('\uFFFD')
  })

  it('refuses a batch with one bad item, naming the item, and enqueues none of it', async () => {
    const before = (await c.call('GET', '/jobs/jobs?queue=default')).json().jobs.length
    const res = await c.call('POST', '/jobs/queues/default/jobs/batch', {
      jobs: [
        { task: 'noop', payload: { n: 1 } },
        { task: 'noop', payload: { n: '\u0000' } },
      ],
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().invalidParams).toEqual([{ name: 'jobs[1].payload.n', reason: expect.any(String) }])
    expect((await c.call('GET', '/jobs/jobs?queue=default')).json().jobs.length).toBe(before)
  })

  it('refuses unknown fields with a 400 naming them', async () => {
    const res = await enqueue({ task: 'noop', delay: -1000 })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      invalidParams: [{ name: 'delay', reason: 'is not a known field' }],
    })
    const batch = await c.call('POST', '/jobs/queues/default/jobs/batch', {
      jobs: [{ task: 'noop', prio: 1 }],
    })
    expect(batch.statusCode).toBe(400)
    expect(batch.json().invalidParams[0].name).toBe('jobs[0].prio')
  })

  it('names the allowed values of a field that takes a few literals, once', async () => {
    const res = await c.call('GET', '/jobs/jobs?order=sideways')
    expect(res.statusCode).toBe(400)
    expect(res.json().invalidParams).toEqual([{ name: 'order', reason: 'must be one of newest, oldest' }])
    expect(res.json().detail).toBe('querystring/order must be one of newest, oldest')
    const state = await c.call('GET', '/jobs/jobs?state=bogus')
    expect(state.json().invalidParams).toHaveLength(1)
    expect(state.json().invalidParams[0].reason).toMatch(/^must be one of waiting, .*cancelled/)
  })

  // 19 digits pass the id and lease-token patterns but not PostgreSQL's bigint (max 9223372036854775807).
  it('answers ids and lease tokens beyond bigint with a 4xx, never a 500', async () => {
    const big = '9999999999999999999'
    const lost = (res: { statusCode: number; json: () => { code?: string } }) => {
      expect(res.statusCode).toBe(409)
      expect(res.json().code).toBe('JOBS_LEASE_LOST')
    }
    lost(await c.call('POST', '/jobs/pull/complete', { id: big, leaseToken: '1' }))
    lost(await c.call('POST', '/jobs/pull/complete', { id: '1', leaseToken: big }))
    lost(await c.call('POST', '/jobs/pull/fail', { id: big, leaseToken: '1', error: 'x' }))
    lost(await c.call('POST', '/jobs/pull/fail', { id: '1', leaseToken: big, error: 'x' }))
    const hb = await c.call('POST', '/jobs/pull/heartbeat', {
      jobs: [
        { id: big, leaseToken: '1' },
        { id: '1', leaseToken: big },
      ],
    })
    expect(hb.statusCode).toBe(200)
    expect(hb.json()).toEqual({ held: [], lost: [big, '1'] })
    const redrive = await c.call('POST', '/jobs/redrive', { ids: [big] })
    expect(redrive.statusCode).toBe(200)
    expect(redrive.json()).toEqual({ redriven: 0, ids: [] })
  })

  it('answers a bodyless POST sent with Content-Type: application/json', async () => {
    const res = await c.app.http.inject({
      method: 'POST',
      url: '/jobs/queues/default/pause',
      headers: { 'content-type': 'application/json' },
      payload: '',
    })
    expect(res.statusCode).toBe(200)
  })
})
