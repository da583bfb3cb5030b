/**
 * The built-in `http` task against a local receiver (allowed through
 * JOBS_ALLOWED_TARGETS): the body arrives with a signature the receiver can
 * verify, a 2xx completes the job, a 5xx is a failed attempt that is
 * retried, and an unreachable target ends dead with the reason.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { sign } from './http-task.js'
import { type JobsClient, jobsApp } from './testing.js'

interface Received {
  headers: IncomingMessage['headers']
  body: string
}

describe.each(backends())('http task (%s)', (backend) => {
  let c: JobsClient
  let server: Server
  let port: number
  const received: Received[] = []
  let failNext = 0
  const secret = 'test-signing-secret'

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => {
        body += d
      })
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        if (failNext > 0) {
          failNext--
          res.writeHead(503).end('try later')
        } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    c = await jobsApp(backend, { JOBS_ALLOWED_TARGETS: `127.0.0.1:${port}`, JOBS_SIGNING_SECRET: secret })
  })
  afterAll(async () => {
    await c.close()
    await new Promise((r) => server.close(r))
  })

  it('POSTs a signed body; a 2xx completes, a 5xx is retried', async () => {
    failNext = 1
    const res = await c.call('POST', '/jobs/queues/default/jobs', {
      task: 'http',
      payload: { url: `http://127.0.0.1:${port}/hook`, headers: { 'x-tenant': 'acme' }, body: { order: 42 } },
    })
    expect(res.statusCode).toBe(201)
    const { id } = res.json()
    await waitFor('completed', async () => (await c.job(id)).state === 'completed')
    expect(received).toHaveLength(2)
    const last = received[1]!
    expect(JSON.parse(last.body)).toEqual({ order: 42 })
    expect(last.headers['x-tenant']).toBe('acme')
    expect(last.headers['blueprints-job-id']).toBe(id)
    expect(last.headers['blueprints-attempt']).toBe('2')
    const sig = String(last.headers['blueprints-signature'])
    const t = Number(/^t=(\d+),/.exec(sig)![1])
    expect(sig).toBe(sign(secret, t, last.body))
    const job = await c.job(id)
    expect(job.attempts[0].error).toMatch(/answered 503: try later/)
    expect(job.result).toEqual({ status: 200, body: '{"ok":true}' })
  })

  it('ends dead with the reason when nothing listens at an allowed target', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const other = await jobsApp(backend, { JOBS_ALLOWED_TARGETS: `127.0.0.1:${deadPort}` })
    try {
      const { id } = (
        await other.call('POST', '/jobs/queues/default/jobs', {
          task: 'http',
          maxAttempts: 2,
          payload: { url: `http://127.0.0.1:${deadPort}/` },
        })
      ).json()
      await waitFor('dead', async () => (await other.job(id)).state === 'dead')
      expect((await other.job(id)).lastError).toMatch(/ECONNREFUSED/)
    } finally {
      await other.close()
    }
  })
})
