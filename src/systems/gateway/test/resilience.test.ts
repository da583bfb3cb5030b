/**
 * Resilience with real upstreams that fail, stall and are killed mid-run:
 * - a circuit breaker per target: a target answering 503 is taken out after the failure count
 *   (no health checks configured), gets nothing while open, and is let back by a probe;
 * - a retry budget: with every target resetting connections, retries add at most the budget's
 *   share of the requests (without it each GET would be sent `retries + 1` times);
 * - write_timeout: an upstream that stops reading a streamed body ends the request in 504;
 * - graceful drain: SIGTERM to a gateway process lets requests in flight finish (200) while the
 *   listener stops taking new connections, and the process exits 0.
 */
import { request as httpRequest } from 'node:http'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
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

/** A TCP server that accepts and then either resets at once or never reads; counts connections. */
async function tcpServer(
  mode: 'reset' | 'sink',
): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let n = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    n++
    sockets.add(s)
    s.on('error', () => {})
    if (mode === 'reset') s.destroy()
    else s.pause()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

async function get(url: string): Promise<number> {
  const res = await request(url)
  await res.body.dump()
  return res.statusCode
}

describe('gateway resilience', () => {
  let ok: Upstream
  let flaky: Upstream
  let slow: Upstream
  let resetA: Awaited<ReturnType<typeof tcpServer>>
  let resetB: Awaited<ReturnType<typeof tcpServer>>
  let sink: Awaited<ReturnType<typeof tcpServer>>
  let withBreakers: GatewayClient
  let noBreakers: GatewayClient

  beforeAll(async () => {
    ok = await upstream('ok')
    flaky = await upstream('flaky')
    slow = await upstream('slow')
    resetA = await tcpServer('reset')
    resetB = await tcpServer('reset')
    sink = await tcpServer('sink')
    const breakerFile = await configFile({
      _format_version: '3.0',
      upstreams: [
        {
          name: 'pair.internal',
          targets: [{ target: `127.0.0.1:${ok.port}` }, { target: `127.0.0.1:${flaky.port}` }],
        },
      ],
      services: [{ name: 'pair', host: 'pair.internal', routes: [{ name: 'pair', paths: ['/pair'] }] }],
    })
    const otherFile = await configFile({
      _format_version: '3.0',
      upstreams: [
        {
          name: 'dead.internal',
          targets: [{ target: `127.0.0.1:${resetA.port}` }, { target: `127.0.0.1:${resetB.port}` }],
        },
      ],
      services: [
        { name: 'dead', host: 'dead.internal', retries: 5, routes: [{ name: 'dead', paths: ['/dead'] }] },
        {
          name: 'sink',
          url: `http://127.0.0.1:${sink.port}`,
          write_timeout: 300,
          routes: [{ name: 'sink', paths: ['/sink'] }],
        },
      ],
    })
    ;[withBreakers, noBreakers] = await Promise.all([
      gatewayApp('embedded', {
        GATEWAY_CONFIG: breakerFile,
        GATEWAY_BREAKER_FAILURES: '3',
        GATEWAY_BREAKER_HALF_OPEN_MS: '1500',
      }),
      gatewayApp('embedded', {
        GATEWAY_CONFIG: otherFile,
        GATEWAY_BREAKER_FAILURES: '0',
        GATEWAY_RETRY_BUDGET_PERCENT: '20',
        GATEWAY_RETRY_BUDGET_MIN_PER_SEC: '0',
      }),
    ])
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await withBreakers?.close()
    await noBreakers?.close()
    for (const u of [ok, flaky, slow]) await u?.close()
    for (const t of [resetA, resetB, sink]) await t?.close()
  })

  const breakerOf = async (port: number) => {
    const data = (await withBreakers.admin('GET', '/upstreams/pair.internal/health')).json.data as Json[]
    return data.find((t) => t.target === `127.0.0.1:${port}`)?.data.breaker as string
  }

  it('opens the breaker of a failing target, keeps it out while open, lets it back after a good probe', async () => {
    expect(await breakerOf(flaky.port)).toBe('closed')
    flaky.status = 503
    await until(
      async () => {
        await get(`${withBreakers.proxy}/pair/x`)
        return (await breakerOf(flaky.port)) === 'open'
      },
      60_000,
      'the breaker to open',
    )
    const seen = flaky.seen.length
    // Round robin would send half of these to the failing target; the open breaker sends none
    // (at most one probe, if the half-open delay passed during the batch).
    const batch = await Promise.all(Array.from({ length: 10 }, () => get(`${withBreakers.proxy}/pair/x`)))
    expect(flaky.seen.length - seen).toBeLessThanOrEqual(1)
    expect(batch.filter((s) => s !== 200).length).toBeLessThanOrEqual(1)

    flaky.status = 200
    await until(
      async () => {
        await get(`${withBreakers.proxy}/pair/x`)
        return (await breakerOf(flaky.port)) === 'closed'
      },
      60_000,
      'a probe to close the breaker',
    )
    const before = flaky.seen.length
    await Promise.all(Array.from({ length: 6 }, () => get(`${withBreakers.proxy}/pair/x`)))
    expect(flaky.seen.length).toBeGreaterThan(before)
  })

  it('spends at most the retry budget when every target fails', async () => {
    const requests = 40
    const statuses: number[] = []
    for (let i = 0; i < requests; i++) statuses.push(await get(`${noBreakers.proxy}/dead/x`))
    expect(statuses.every((s) => s === 502)).toBe(true)
    const attempts = resetA.connections() + resetB.connections()
    // Some retries happened, and no more than 20% of the requests (+1 for rounding per window);
    // without a budget: requests x 6.
    expect(attempts).toBeGreaterThan(requests)
    expect(attempts).toBeLessThanOrEqual(requests + requests * 0.2 + 2)
  })

  it('ends a request whose streamed body the upstream stops reading in 504 (write_timeout)', async () => {
    const { port } = new URL(noBreakers.proxy)
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/sink/upload' }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      // 64 MiB in 1 MiB chunks, more than the socket buffers hold: the writes stall.
      const chunk = Buffer.alloc(1024 * 1024, 'x')
      let sent = 0
      const pump = () => {
        while (sent < 64) {
          sent++
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    expect(status).toBe(504)
    expect(sink.connections()).toBeGreaterThan(0)
  })
})

describe('gateway graceful drain', () => {
  let slow: Upstream
  let proc: ServerProcess | undefined

  beforeAll(async () => {
    slow = await upstream('slow')
    slow.delayMs = 1_500
    const file = await configFile({
      _format_version: '3.0',
      services: [{ name: 'slow', url: slow.url, routes: [{ name: 'slow', paths: ['/slow'] }] }],
    })
    proc = await startServer({
      entry: 'src/main.ts',
      env: { SYSTEMS: 'gateway', GATEWAY_PORT: '0', GATEWAY_CONFIG: file },
      timeoutMs: 170_000,
    })
  }, 180_000)
  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.kill('SIGKILL')
    await slow?.close()
  })

  it('lets requests in flight finish after SIGTERM, refuses new connections, exits 0', async () => {
    const p = proc!
    const info = (await (await fetch(`${p.url}/gateway/admin`)).json()) as Json
    const proxy = `http://127.0.0.1:${info.configuration.proxy_listeners[0].port}`
    expect(await get(`${proxy}/nowhere`)).toBe(404)
    const before = slow.seen.length
    const inFlight = Array.from({ length: 5 }, () =>
      request(`${proxy}/slow/x`).then(async (r) => ({
        status: r.statusCode,
        body: (await r.body.json()) as Json,
      })),
    )
    await until(() => slow.seen.length === before + 5, 60_000, 'the five requests to reach the upstream')
    p.kill('SIGTERM')
    // New connections are refused (a balancer in front sends them to another node)...
    await until(
      () =>
        request(`${proxy}/slow/x`, { reset: true }).then(
          () => false,
          (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
        ),
      60_000,
      'the listener to close',
    )
    // ... while the ones in flight complete.
    const done = await Promise.all(inFlight)
    expect(done.map((d) => d.status)).toEqual([200, 200, 200, 200, 200])
    expect(done.every((d) => d.body.upstream === 'slow')).toBe(true)
    const code = await p.exited
    if (code !== 0) console.log(p.stdout(), p.stderr())
    expect(code).toBe(0)
  })
})
