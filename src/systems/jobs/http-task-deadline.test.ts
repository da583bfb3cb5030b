/**
 * `payload.timeoutMs` bounds the whole HTTP exchange, not the gaps between
 * bytes: a target that trickles its headers, or its body, a byte every
 * 300 ms fails the attempt with the HTTP deadline's reason, long before the
 * attempt's own timeout (60 s here) would end it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, jobsApp } from './testing.js'

/** Write `text` a character every 300 ms until the client goes away. */
function trickle(res: ServerResponse, text: string): void {
  let i = 0
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer)
    res.socket?.write(text[i++ % text.length]!)
  }, 300)
  res.on('close', () => clearInterval(timer))
}

describe.each(backends())('http task deadline (%s)', (backend) => {
  let c: JobsClient
  let server: Server
  let port: number

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        if (req.url === '/slow-headers') {
          res.socket?.write('HTTP/1.1 200 OK\r\n')
          trickle(res, 'x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n')
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.flushHeaders()
          trickle(res, 'a')
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    c = await jobsApp(backend, { JOBS_ALLOWED_TARGETS: `127.0.0.1:${port}` })
  })
  afterAll(async () => {
    await c.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  it.each(['slow-headers', 'slow-body'])(
    'fails a %s target at payload.timeoutMs',
    async (path) => {
      const res = await c.call('POST', '/jobs/queues/default/jobs', {
        task: 'http',
        maxAttempts: 1,
        timeoutMs: 60_000,
        payload: { url: `http://127.0.0.1:${port}/${path}`, timeoutMs: 1_000 },
      })
      expect(res.statusCode).toBe(201)
      const { id } = res.json()
      // Generous: the point is which deadline ended it (the message), not when.
      await waitFor('dead', async () => (await c.job(id)).state === 'dead', 30_000)
      expect((await c.job(id)).lastError).toMatch(/no complete answer from 127\.0\.0\.1:\d+ within 1000 ms/)
    },
    60_000,
  )
})
