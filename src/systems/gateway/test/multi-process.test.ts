/**
 * (TEST_SERVICES=1 only) Two real gateway processes on one PostgreSQL and NATS. A change made
 * through one node's admin API is served by the other node's proxy, carried by the Bus alone: the
 * version poll is turned off (GATEWAY_RELOAD_POLL_MS at ten minutes), so nothing else could bring
 * it. The time it took is printed, not asserted (the machine is shared and loaded).
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { type Json, type Upstream, until, upstream } from '../testing.js'

async function proxyOf(p: ServerProcess): Promise<string> {
  const info = (await (await fetch(`${p.url}/gateway/admin`)).json()) as Json
  return `http://127.0.0.1:${info.configuration.proxy_listeners[0].port}`
}

async function status(url: string): Promise<number> {
  const res = await request(url)
  await res.body.dump()
  return res.statusCode
}

describe.skipIf(!backends().includes('services'))('gateway on two processes', () => {
  const env = {
    SYSTEMS: 'gateway',
    GATEWAY_PORT: '0',
    GATEWAY_RELOAD_POLL_MS: '600000',
    ...backendEnv('services', uniqueId()),
  }
  let procs: ServerProcess[] = []
  let up: Upstream
  beforeAll(async () => {
    up = await upstream('shared')
    procs = await Promise.all(
      [0, 1].map(() => startServer({ entry: 'src/main.ts', env, timeoutMs: 170_000 })),
    )
  }, 180_000)
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGTERM')
    await Promise.all(procs.map((p) => p.exited))
    await up?.close()
  })

  it("serves on node B what node A's admin API changed, through the Bus", async () => {
    const [a, b] = procs as [ServerProcess, ServerProcess]
    const proxyB = await proxyOf(b)
    expect(await status(`${proxyB}/shared/x`)).toBe(404)
    const post = (path: string, body: unknown) =>
      fetch(`${a.url}/gateway/admin${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('/services', { name: 'shared', url: up.url })).status).toBe(201)
    const started = Date.now()
    expect((await post('/services/shared/routes', { name: 'shared-route', paths: ['/shared'] })).status).toBe(
      201,
    )
    await until(
      async () => (await status(`${proxyB}/shared/x`)) === 200,
      60_000,
      'node B to serve the new route',
    )
    console.log(
      `gateway multi-process: node B served the new route ${Date.now() - started} ms after node A's admin call returned`,
    )

    const del = await fetch(`${a.url}/gateway/admin/routes/shared-route`, { method: 'DELETE' })
    expect(del.status).toBe(204)
    await until(async () => (await status(`${proxyB}/shared/x`)) === 404, 60_000, 'node B to drop the route')
    const infoB = (await (await fetch(`${b.url}/gateway/admin`)).json()) as Json
    const infoA = (await (await fetch(`${a.url}/gateway/admin`)).json()) as Json
    expect(infoB.configuration.config_version).toBe(infoA.configuration.config_version)
  })
})
