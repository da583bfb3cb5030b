/**
 * Upstream targets are real local servers that are killed and brought back. GETs never see the
 * death (retried on the other target before any byte reached the client); the dead target leaves
 * rotation by passive and active health checks and comes back when its probe succeeds again. A
 * POST is never sent twice: one that met the dead target fails (502) instead of being replayed.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  type Json,
  type Upstream,
  until,
  upstream,
} from '../testing.js'

describe('gateway failover', () => {
  let a: Upstream
  let b: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    a = await upstream('a')
    b = await upstream('b')
    const file = await configFile({
      _format_version: '3.0',
      upstreams: [
        {
          name: 'app.internal',
          healthchecks: {
            active: {
              http_path: '/health',
              timeout: 2,
              healthy: { interval: 0.3, successes: 1 },
              unhealthy: { interval: 0.3, tcp_failures: 1 },
            },
            passive: { unhealthy: { tcp_failures: 1 } },
          },
          targets: [{ target: `127.0.0.1:${a.port}` }, { target: `127.0.0.1:${b.port}` }],
        },
        {
          name: 'plain.internal',
          targets: [{ target: `127.0.0.1:${a.port}` }, { target: `127.0.0.1:${b.port}` }],
        },
      ],
      services: [
        { name: 'app', host: 'app.internal', routes: [{ name: 'app', paths: ['/app'] }] },
        { name: 'plain', host: 'plain.internal', routes: [{ name: 'plain', paths: ['/plain'] }] },
      ],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await a?.close()
    await b?.close()
  })

  const health = async () =>
    Object.fromEntries(
      ((await gw.admin('GET', '/upstreams/app.internal/health')).json.data as Json[]).map((t) => [
        t.target,
        t.health,
      ]),
    )

  it('GETs see no error while a target dies and comes back; it leaves and rejoins rotation', async () => {
    const upstreamsHit = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const res = await request(`${gw.proxy}/app/x`)
      upstreamsHit.add(String(res.headers['x-upstream']))
      await res.body.dump()
    }
    expect(upstreamsHit).toEqual(new Set(['a', 'b']))

    await b.kill()
    const statuses: number[] = []
    // Concurrent GETs while b is dead: each one that picks b is retried on a.
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const res = await request(`${gw.proxy}/app/x`)
          await res.body.dump()
          return res.statusCode
        }),
      )
      statuses.push(...batch)
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    const bKey = `127.0.0.1:${b.port}`
    await until(async () => (await health())[bKey] === 'UNHEALTHY', 30_000, 'b to be marked unhealthy')

    const servedByB = () => b.seen.filter((s) => s.url === '/x').length
    const seenByB = servedByB()
    await b.revive()
    await until(async () => (await health())[bKey] === 'HEALTHY', 30_000, 'b to be healthy again')
    await until(
      async () => {
        const res = await request(`${gw.proxy}/app/x`)
        await res.body.dump()
        return servedByB() > seenByB
      },
      30_000,
      'b to serve again',
    )
  })

  it('never replays a POST: one that met the dead target is a 502, the others reach the live one once', async () => {
    await b.kill()
    const before = a.seen.filter((s) => s.method === 'POST').length
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const res = await request(`${gw.proxy}/plain/order`, { method: 'POST', body: `order-${i}` })
      statuses.push(res.statusCode)
      await res.body.dump()
    }
    const reached = a.seen.filter((s) => s.method === 'POST').length - before
    const failed = statuses.filter((s) => s === 502).length
    expect(failed).toBeGreaterThan(0)
    expect(reached + failed).toBe(10)
    expect(new Set(a.seen.filter((s) => s.method === 'POST').map((s) => s.body)).size).toBe(before + reached)
    await b.revive()
  })
})
