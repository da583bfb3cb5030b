/**
 * The pull API over real HTTP: a pull queue's jobs (of a task this process
 * does not run) are left alone by the in-process worker and leased by HTTP
 * clients; heartbeat extends a lease, complete and fail settle the attempt.
 * Fencing: a lease that expired while its worker hung is taken back and the
 * job leased again; the late completion with the old token is refused (409)
 * and the new holder's stands. A client process killed holding a lease: the
 * job comes back after the lease and runs elsewhere. A client killed while
 * long polling takes nothing: the job enqueued after it died goes to the
 * next client at once.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, type Json, jobsApp } from './testing.js'

/** A pull client in its own process: leases one job of `ext` (or long-polls for one) and then hangs. */
const CLIENT = `
const [url, mode] = process.argv.slice(1)
const body = { worker: 'child-' + process.pid, queues: ['ext'], max: 1, leaseMs: 30000,
               waitMs: mode === 'poll' ? 25000 : 0 }
const pending = fetch(url + '/jobs/pull/fetch', { method: 'POST', headers: { 'content-type': 'application/json' },
                                                  body: JSON.stringify(body) })
if (mode === 'poll') console.log('polling')
const res = await pending
console.log('leased ' + JSON.stringify((await res.json()).jobs.map((j) => j.id)))
setInterval(() => {}, 1 << 30)
`

/** Spawn a client; resolves with it once it printed a line starting with `ready`. */
function client(
  url: string,
  mode: 'lease' | 'poll',
  ready: string,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, url, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith(ready))
      if (line) resolve({ child, line })
    })
    child.once('exit', (code) => reject(new Error(`client exited (${code}) before "${ready}": ${out}`)))
  })
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

describe.each(backends())('pull API (%s)', (backend) => {
  let c: JobsClient
  let url: string
  beforeAll(async () => {
    c = await jobsApp(backend, {}, { sweepMs: 100 })
    await c.app.http.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(c.app.http.server.address() as AddressInfo).port}`
    expect((await c.call('PUT', '/jobs/queues/ext', { pull: true })).json()).toMatchObject({ pull: true })
  })
  afterAll(() => c.close())

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}/jobs${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }
  const enqueue = async (body: unknown) => {
    const res = await post('/queues/ext/jobs', body)
    expect(res.status).toBe(201)
    return res.body.id as string
  }
  const lease = (max = 1, extra: Record<string, unknown> = {}) =>
    post('/pull/fetch', { worker: 'test', queues: ['ext'], max, leaseMs: 1000, ...extra })

  it('leases, heartbeats, completes and fails jobs the in-process worker leaves alone', async () => {
    const a = await enqueue({ task: 'resize-image', payload: { w: 64 }, priority: 1 })
    const b = await enqueue({ task: 'resize-image', payload: { w: 32 }, maxAttempts: 2 })
    await settle(300)
    expect((await c.job(a)).state).toBe('waiting')
    const got = await lease(5, { tasks: ['resize-image'], leaseMs: 5000 })
    expect(got.status).toBe(200)
    expect(got.body.jobs.map((j: Json) => j.id)).toEqual([a, b])
    const [ja, jb] = got.body.jobs
    expect(ja).toMatchObject({ queue: 'ext', task: 'resize-image', payload: { w: 64 }, attempt: 1 })
    expect((await c.job(a)).state).toBe('active')
    const hb = await post('/pull/heartbeat', {
      jobs: [
        { id: a, leaseToken: ja.leaseToken },
        { id: b, leaseToken: '999' },
      ],
    })
    expect(hb.body).toEqual({ held: [a], lost: [b] })
    expect(
      (await post('/pull/complete', { id: a, leaseToken: ja.leaseToken, result: { ok: 1 } })).status,
    ).toBe(200)
    expect(await c.job(a)).toMatchObject({ state: 'completed', result: { ok: 1 } })
    const failed = await post('/pull/fail', {
      id: b,
      leaseToken: jb.leaseToken,
      error: 'no such image',
      retryInMs: 0,
    })
    expect(failed.body).toEqual({ id: b, state: 'failed' })
    const again = await lease(1)
    expect(again.body.jobs[0]).toMatchObject({ id: b, attempt: 2 })
    const dead = await post('/pull/fail', {
      id: b,
      leaseToken: again.body.jobs[0].leaseToken,
      error: 'still not',
    })
    expect(dead.body.state).toBe('dead')
    const job = await c.job(b)
    expect(job.state).toBe('dead')
    expect(job.attempts.map((x: Json) => x.error)).toEqual(['no such image', 'still not'])
    // Settled: the token is spent.
    expect((await post('/pull/complete', { id: a, leaseToken: ja.leaseToken })).body.code).toBe(
      'JOBS_LEASE_LOST',
    )
  })

  it('refuses the late completion of a lease that expired, and keeps the new holder’s', async () => {
    const id = await enqueue({ task: 'transcode' })
    const first = (await lease(1)).body.jobs[0]
    expect(first.id).toBe(id)
    // The first worker hangs past its lease: the sweep takes the job back, and it is leased again.
    let second: Json
    await waitFor(
      'leased again',
      async () => {
        second = (await lease(1)).body.jobs[0]
        return second !== undefined
      },
      15_000,
    )
    expect(second!).toMatchObject({ id, attempt: 2 })
    expect(second!.leaseToken).not.toBe(first.leaseToken)
    const late = await post('/pull/complete', { id, leaseToken: first.leaseToken, result: 'stale' })
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('JOBS_LEASE_LOST')
    expect((await post('/pull/fail', { id, leaseToken: first.leaseToken, error: 'x' })).status).toBe(409)
    expect(
      (await post('/pull/complete', { id, leaseToken: second!.leaseToken, result: 'fresh' })).status,
    ).toBe(200)
    expect(await c.job(id)).toMatchObject({ state: 'completed', result: 'fresh', stalls: 1 })
  })

  it('gives a killed client’s job to another after its lease; a killed long-poller takes nothing', async () => {
    const id = await enqueue({ task: 'transcode' })
    const holder = await client(url, 'lease', 'leased')
    expect(holder.line).toBe(`leased ${JSON.stringify([id])}`)
    await kill(holder.child)
    // Its lease is 30 s: shortened here as an expired one, so the sweep takes it back now.
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    await db.query("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", [id])
    let next: Json
    await waitFor(
      'the job leased again',
      async () => {
        next = (await lease(1)).body.jobs[0]
        return next !== undefined
      },
      15_000,
    )
    expect(next!).toMatchObject({ id, attempt: 2 })
    expect((await post('/pull/complete', { id, leaseToken: next!.leaseToken })).status).toBe(200)

    const poller = await client(url, 'poll', 'polling')
    await settle(500)
    await kill(poller.child)
    await settle(200)
    const late = await enqueue({ task: 'transcode' })
    const got = await lease(1, { waitMs: 10_000 })
    expect(got.body.jobs.map((j: Json) => j.id)).toEqual([late])
    expect((await c.job(late)).attemptsMade).toBe(1)
  })

  it('answers bad requests with a 4xx naming the problem', async () => {
    expect((await post('/pull/fetch', { worker: 'w', queues: ['nope'] })).body.code).toBe(
      'JOBS_UNKNOWN_QUEUE',
    )
    const push = await post('/pull/fetch', { worker: 'w', queues: ['default'] })
    expect(push.status).toBe(409)
    expect(push.body.code).toBe('JOBS_NOT_A_PULL_QUEUE')
    for (const body of [
      { queues: ['ext'] },
      { worker: 'w', queues: [] },
      { worker: 'w', queues: ['ext'], max: 0 },
      { worker: 'w', queues: ['ext'], leaseMs: 10 },
      { worker: 'w', queues: ['ext'], extra: 1 },
    ])
      expect((await post('/pull/fetch', body)).status, JSON.stringify(body)).toBe(400)
    expect((await post('/pull/complete', { id: '1', leaseToken: 'abc' })).status).toBe(400)
    expect((await post('/pull/complete', { id: '999999', leaseToken: '1' })).body.code).toBe(
      'JOBS_LEASE_LOST',
    )
    // A push queue still refuses tasks this process does not run.
    expect((await post('/queues/default/jobs', { task: 'resize-image' })).body.code).toBe('JOBS_UNKNOWN_TASK')
  })
})
