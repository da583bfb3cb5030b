/**
 * The address actually dialled is what is checked (SSRF), whatever path a job
 * came in by. Real loopback listeners count every TCP connection they accept:
 * a refused target gets none, through REST (refused at enqueue) and through
 * SQL `add_job()` (which no enqueue check sees: the dial refuses it), for an
 * IP literal in several spellings and for a name whose DNS answer is
 * private. A target listed in JOBS_ALLOWED_TARGETS is reached.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type JobsClient, jobsApp } from './testing.js'

interface Listener {
  server: Server
  port: number
  connections: number
}

async function listener(): Promise<Listener> {
  const l: Listener = { server: createServer((_req, res) => res.end('ok')), port: 0, connections: 0 }
  l.server.on('connection', () => {
    l.connections++
  })
  await new Promise<void>((r) => l.server.listen(0, '127.0.0.1', r))
  l.port = (l.server.address() as AddressInfo).port
  return l
}

describe.each(backends())('HTTP targets are checked at the address dialled (%s)', (backend) => {
  let c: JobsClient
  let refused: Listener
  let allowed: Listener

  beforeAll(async () => {
    refused = await listener()
    allowed = await listener()
    c = await jobsApp(backend, { JOBS_ALLOWED_TARGETS: `127.0.0.1:${allowed.port}` })
  })
  afterAll(async () => {
    await c.close()
    await new Promise((r) => refused.server.close(r))
    await new Promise((r) => allowed.server.close(r))
  })

  /** Enqueue through the SQL function, as a caller in any language would. */
  async function addJobSql(url: string): Promise<string> {
    const pub = c.app.db.withSchema('public')
    const schema = `${c.app.config.dbSchemaPrefix}jobs`
    const { rows } = await pub.query<{ id: string }>(
      `SELECT id::text AS id FROM "${schema}".add_job('default', 'http', jsonb_build_object('url', $1::text),
              max_attempts => 1)`,
      [url],
    )
    return rows[0]!.id
  }

  it('refuses loopback literals added through SQL add_job(): no connection reaches the listener', async () => {
    const urls = [
      `http://127.0.0.1:${refused.port}/`,
      `http://127.1:${refused.port}/`,
      `http://2130706433:${refused.port}/`,
      `http://0x7f000001:${refused.port}/`,
      `http://[::ffff:127.0.0.1]:${refused.port}/`,
      `http://localhost:${refused.port}/`,
      'http://169.254.169.254/latest/meta-data/',
    ]
    const ids = await Promise.all(urls.map(addJobSql))
    for (const id of ids)
      await waitFor(`job ${id} dead`, async () => (await c.job(id)).state === 'dead', 15_000)
    for (const id of ids) expect((await c.job(id)).lastError).toMatch(/private|loopback|link-local|refused/i)
    expect(refused.connections).toBe(0)
  })

  it('refuses them through REST at enqueue (422), and nothing connects', async () => {
    for (const url of [`http://127.0.0.1:${refused.port}/`, 'http://169.254.169.254/']) {
      const res = await c.call('POST', '/jobs/queues/default/jobs', { task: 'http', payload: { url } })
      expect(res.statusCode).toBe(422)
      expect(res.json().code).toBe('JOBS_FORBIDDEN_TARGET')
    }
    expect(refused.connections).toBe(0)
  })

  it('reaches an allowed target through both paths', async () => {
    const url = `http://127.0.0.1:${allowed.port}/hook`
    const rest = await c.call('POST', '/jobs/queues/default/jobs', { task: 'http', payload: { url } })
    expect(rest.statusCode).toBe(201)
    const ids = [rest.json().id as string, await addJobSql(url)]
    for (const id of ids)
      await waitFor(`job ${id} completed`, async () => (await c.job(id)).state === 'completed', 15_000)
    expect(allowed.connections).toBeGreaterThanOrEqual(1)
    expect(refused.connections).toBe(0)
  })
})
