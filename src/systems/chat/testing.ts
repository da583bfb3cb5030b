/** Helpers for the chat tests: a listening app, tokens, a REST client, and a WebSocket client that records frames. */
import WebSocket from 'ws'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import chat from './index.js'

/** Parsed JSON answers in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any

export interface ChatTestApp {
  app: App
  /** http://127.0.0.1:PORT */
  url: string
  token(user: string): Promise<string>
  api(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; body: Json }>
  close(): Promise<void>
}

/** A chat app on `backend`, listening on a free port. */
export async function chatApp(backend: BackendName, env: Record<string, string> = {}): Promise<ChatTestApp> {
  const app = await buildTestApp(backend, {
    systems: [chat],
    env: { CHAT_PRESENCE_INTERVAL_MS: '200', CHAT_SWEEP_MS: '100', ...env },
  })
  await app.http.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
  return {
    app,
    url,
    ...restClient(url),
    close: () => app.close(),
  }
}

/** Token and JSON calls against a chat server at `url`. */
export function restClient(url: string) {
  const api = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${url}/chat${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  return {
    api,
    async token(user: string): Promise<string> {
      const r = await api('POST', '/tokens', undefined, { user })
      if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.token
    },
  }
}

/** A WebSocket chat client that records every frame it receives. */
export class WsClient {
  readonly frames: Json[] = []
  closed: { code: number; reason: string } | undefined
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())))
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
    })
    ws.on('error', () => {})
  }

  /**
   * Connect with `token` in the query (or none), asking for protocol `v` (default: none, so v1),
   * and wait for `hello` (unless `waitHello` is false).
   */
  static async connect(url: string, token?: string, waitHello = true, v?: number): Promise<WsClient> {
    const query = new URLSearchParams({ ...(token && { access_token: token }), ...(v && { v: String(v) }) })
    const ws = new WebSocket(`${url.replace('http', 'ws')}/chat/ws${query.size > 0 ? `?${query}` : ''}`)
    const c = new WsClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    if (waitHello) await c.next((f) => f.type === 'hello')
    return c
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify({ v: 1, ...(frame as object) }))
  }

  /** The first recorded frame matching `pred` (waiting for it). */
  async next(pred: (f: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
    let found: Json
    await waitFor(
      'a matching frame',
      () => {
        found = this.frames.find(pred)
        return found !== undefined
      },
      timeoutMs,
    )
    return found
  }

  /** Send a frame with an id and wait for its answer (any frame echoing the id). */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Json> {
    const id = `r${Math.random().toString(36).slice(2)}`
    this.send({ ...frame, id })
    return this.next((f) => f.id === id, timeoutMs)
  }

  /** The room events (frames with an offset) received for `room`, those of `batch` frames unpacked. */
  events(room: number): Json[] {
    return roomEvents(this.frames, room)
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const closed = new Promise((r) => this.ws.once('close', r))
    this.ws.close()
    await closed
  }
}

/** The room events of `room` in `frames`, in arrival order, with `batch` frames (protocol v2) unpacked. */
export function roomEvents(frames: Json[], room: number): Json[] {
  return frames
    .flatMap((f) => (f.type === 'batch' ? f.events : [f]))
    .filter((f: Json) => (f.type === 'message' || f.type === 'update') && f.room === room)
}
