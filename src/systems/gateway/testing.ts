/**
 * Helpers for the gateway's tests: real local upstream servers that echo what reached them (and can
 * be slowed, killed and brought back on the same port), a gateway app on the embedded backend, and a
 * client for its proxy port.
 */
import { writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { stringify } from 'yaml'
import type { App } from '../../platform/testing/app.js'
import { buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import gateway from './index.js'

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON in tests; assertions check the shape
export type Json = any

export const APP_TIMEOUT_MS = 180_000

export interface Seen {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Upstream {
  name: string
  port: number
  url: string
  seen: Seen[]
  /** Milliseconds to wait before answering (a slow upstream). */
  delayMs: number
  /** Status to answer with (200 by default). */
  status: number
  /** Close the listener and every connection (the process "dies"). */
  kill(): Promise<void>
  /** Listen again on the same port. */
  revive(): Promise<void>
  close(): Promise<void>
}

/** A local HTTP server answering JSON `{ upstream, method, url, headers, body }` for each request. */
export async function upstream(name = 'up', port = 0): Promise<Upstream> {
  const sockets = new Set<Socket>()
  const u: Upstream = {
    name,
    port,
    url: '',
    seen: [],
    delayMs: 0,
    status: 200,
    kill: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
    revive: () => listen(u.port),
    close: () => u.kill().catch(() => {}),
  }
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      }
      u.seen.push(seen)
      const answer = () => {
        if (req.url?.endsWith('/sse')) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
          let n = 0
          const t = setInterval(() => {
            res.write(`data: ${++n}\n\n`)
            if (n === 3) {
              clearInterval(t)
              res.end()
            }
          }, 20)
          return
        }
        const body = JSON.stringify({ upstream: name, ...seen })
        res.writeHead(u.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'keep-alive': 'timeout=5',
          'x-upstream': name,
        })
        res.end(body)
      }
      if (u.delayMs > 0) setTimeout(answer, u.delayMs)
      else answer()
    })
  }
  let server: Server = createServer(handler)
  const listen = async (p: number) => {
    server = createServer(handler)
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(p, '127.0.0.1', () => resolve())
    })
    u.port = (server.address() as AddressInfo).port
    u.url = `http://127.0.0.1:${u.port}`
  }
  await listen(port)
  return u
}

export interface GatewayClient {
  app: App
  /** The proxy listener's base URL. */
  proxy: string
  /** A JSON call to the admin API under /gateway/admin. */
  admin(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: Json; body: string }>
  close(): Promise<void>
}

/** Write `doc` (an object: YAML is written; a string: as is) to a fresh file; its path. */
export async function configFile(doc: unknown, ext = 'yaml'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gw-config-'))
  const file = path.join(dir, `kong.${ext}`)
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc))
  return file
}

export async function gatewayApp(
  backend: BackendName,
  env: Record<string, string> = {},
): Promise<GatewayClient> {
  const app = await buildTestApp(backend, { systems: [gateway], env })
  const info = await app.http.inject({ url: '/gateway/admin', headers: adminHeaders(env) })
  const port = info.json().configuration.proxy_listeners[0].port as number
  return {
    app,
    proxy: `http://127.0.0.1:${port}`,
    async admin(method, url, body, headers = {}) {
      const res = await app.http.inject({
        method: method as 'GET',
        url: `/gateway/admin${url}`,
        headers: {
          ...adminHeaders(env),
          ...headers,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
      return { status: res.statusCode, body: res.body, json: res.body ? safeJson(res.body) : undefined }
    },
    close: () => app.close(),
  }
}

function adminHeaders(env: Record<string, string>): Record<string, string> {
  return env.GATEWAY_ADMIN_TOKEN ? { authorization: `Bearer ${env.GATEWAY_ADMIN_TOKEN}` } : {}
}

function safeJson(s: string): Json {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}

/** Send raw bytes to `base`'s port and read until the server closes or `idleMs` passes quietly. */
export async function rawRequest(base: string, bytes: string, idleMs = 1_000): Promise<string> {
  const { port } = new URL(base)
  const { connect } = await import('node:net')
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1')
    let out = ''
    let timer: NodeJS.Timeout | undefined
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        sock.destroy()
        resolve(out)
      }, idleMs)
    }
    sock.on('connect', () => {
      sock.write(bytes)
      arm()
    })
    sock.on('data', (d) => {
      out += d
      arm()
    })
    sock.on('close', () => {
      clearTimeout(timer)
      resolve(out)
    })
    sock.on('error', reject)
  })
}

/** Poll `check` until it returns truthy (or throw after `timeoutMs`). */
export async function until<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await check()
      if (v) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}
