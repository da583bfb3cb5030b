/**
 * WebSocket and server-sent events through the gateway, with the real clients (`ws`, the
 * `eventsource` package): a socket is authenticated by key-auth like any request, frames go both
 * ways, and either side's close reaches the other; an event stream's first event arrives while the
 * upstream still holds the response open (nothing buffered), and the stream ends when it ends.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { APP_TIMEOUT_MS, configFile, type GatewayClient, gatewayApp, until } from '../testing.js'

describe('gateway WebSocket and SSE proxying', () => {
  let server: Server
  let wss: WebSocketServer
  let gw: GatewayClient
  const upgrades: { url: string; headers: Record<string, unknown> }[] = []
  const serverClosed: number[] = []
  let release: () => void = () => {}

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/events') return res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write('data: first\n\n')
      // The second event waits for the test: the first must have crossed the gateway already.
      release = () => {
        res.write('data: second\n\n')
        res.end()
      }
    })
    wss = new WebSocketServer({ server })
    wss.on('connection', (sock, req) => {
      upgrades.push({ url: req.url ?? '', headers: req.headers })
      sock.on('message', (m) => {
        const text = m.toString()
        if (text === 'bye') sock.close(4000, 'upstream says bye')
        else sock.send(`echo:${text}`)
      })
      sock.on('close', (code) => serverClosed.push(code))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as AddressInfo).port
    const file = await configFile({
      _format_version: '3.0',
      services: [
        {
          name: 'live',
          url: `http://127.0.0.1:${port}`,
          routes: [{ name: 'live', paths: ['/live'], plugins: [{ name: 'key-auth' }] }],
        },
      ],
      consumers: [{ username: 'ann', keyauth_credentials: [{ key: 'ann-key' }] }],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    wss?.close()
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
  })

  const wsUrl = () => gw.proxy.replace('http:', 'ws:')

  it('carries frames both ways on an authenticated socket; closes travel both ways', async () => {
    const client = new WebSocket(`${wsUrl()}/live/socket?room=1`, { headers: { apikey: 'ann-key' } })
    const received: string[] = []
    client.on('message', (m) => received.push(m.toString()))
    await new Promise((resolve, reject) => {
      client.once('open', resolve)
      client.once('error', reject)
    })
    client.send('hello')
    client.send('again')
    await until(() => received.length === 2, 30_000, 'two echoes')
    expect(received).toEqual(['echo:hello', 'echo:again'])
    const seen = upgrades.at(-1)!
    expect(seen.url).toBe('/socket?room=1') // the route's path stripped, the query kept
    expect(seen.headers['x-consumer-username']).toBe('ann')
    expect(seen.headers['x-forwarded-for']).toBeTruthy()

    // The upstream closes: the client learns its code and reason.
    const closed = new Promise<[number, string]>((r) =>
      client.once('close', (c, why) => r([c, why.toString()])),
    )
    client.send('bye')
    expect(await closed).toEqual([4000, 'upstream says bye'])

    // The client closes: the upstream learns it.
    const second = new WebSocket(`${wsUrl()}/live/socket`, { headers: { apikey: 'ann-key' } })
    await new Promise((r) => second.once('open', r))
    const before = serverClosed.length
    second.close(1000)
    await until(() => serverClosed.length > before, 30_000, 'the upstream to see the close')
    expect(serverClosed.at(-1)).toBe(1000)
  })

  it('refuses an upgrade without a key with the plugin answer; the upstream never sees it', async () => {
    const count = upgrades.length
    const client = new WebSocket(`${wsUrl()}/live/socket`)
    const status = await new Promise<number>((resolve, reject) => {
      client.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      client.once('open', () => reject(new Error('opened without a key')))
      client.once('error', () => {})
    })
    expect(status).toBe(401)
    const unknown = new WebSocket(`${wsUrl()}/nowhere`)
    const s404 = await new Promise<number>((resolve) => {
      unknown.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      unknown.once('error', () => {})
    })
    expect(s404).toBe(404)
    expect(upgrades.length).toBe(count)
  })

  it('streams server-sent events as they come (EventSource client)', async () => {
    const es = new EventSource(`${gw.proxy}/live/events`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), apikey: 'ann-key' },
        }),
    })
    const events: string[] = []
    es.onmessage = (e) => events.push(e.data)
    try {
      await until(() => events.length === 1, 30_000, 'the first event while the upstream holds the stream')
      expect(events).toEqual(['first'])
      release()
      await until(() => events.length === 2, 30_000, 'the second event')
      expect(events).toEqual(['first', 'second'])
    } finally {
      es.close()
    }
  })
})
