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
    env: { LIVE_PRESENCE_INTERVAL_MS: '200', CHAT_SWEEP_MS: '100', ...env },
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

/** Frames a test client received, in arrival order, and ways to wait for and pick them. */
abstract class RecordedFrames {
  readonly frames: Json[] = []
  /** `transport` names the client in a timeout's message. */
  constructor(private readonly transport: string) {}

  /** Frames already handed out by `next` or `request`, so a stale reply is never matched again. */
  private readonly taken = new Set<Json>()

  /** The first recorded frame matching `pred` that no earlier `next` returned (waiting for it). */
  async next(pred: (f: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
    let found: Json
    await waitFor(
      `a matching ${this.transport} frame`,
      () => {
        found = this.frames.find((f) => !this.taken.has(f) && pred(f))
        return found !== undefined
      },
      timeoutMs,
    )
    this.taken.add(found)
    return found
  }

  /** The room events (frames with an offset) received for `room`, those of `batch` frames unpacked. */
  events(room: number): Json[] {
    return roomEvents(this.frames, room)
  }
}

/** A WebSocket chat client that records every frame it receives. */
export class WsClient extends RecordedFrames {
  closed: { code: number; reason: string } | undefined
  private constructor(readonly ws: WebSocket) {
    super('WebSocket')
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

  /** Send a frame with an id and wait for its answer (any frame echoing the id). */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Json> {
    const id = `r${Math.random().toString(36).slice(2)}`
    this.send({ ...frame, id })
    return this.next((f) => f.id === id, timeoutMs)
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

/**
 * An SSE chat client on `fetch` that records frames and the last event id, as `EventSource` keeps it
 * (sent back as `Last-Event-ID` when it reconnects). Frames go to the session with `post`.
 */
export class SseClient extends RecordedFrames {
  /** The `id:` of the last event received (what EventSource would send as `Last-Event-ID`). */
  lastEventId: string | undefined
  ended = false
  private readonly controller = new AbortController()
  private constructor(
    readonly url: string,
    readonly token: string,
  ) {
    super('SSE')
  }

  /** Open `GET /chat/sse` (with `Last-Event-ID` when given) and wait for `hello`. */
  static async connect(
    url: string,
    token: string,
    opts: { v?: number; lastEventId?: string; waitHello?: boolean } = {},
  ): Promise<SseClient> {
    const c = new SseClient(url, token)
    c.lastEventId = opts.lastEventId
    const res = await fetch(`${url}/chat/sse?access_token=${token}${opts.v ? `&v=${opts.v}` : ''}`, {
      signal: c.controller.signal,
      headers: opts.lastEventId !== undefined ? { 'last-event-id': opts.lastEventId } : {},
    })
    if (res.status !== 200)
      throw Object.assign(new Error(`SSE ${res.status}`), { status: res.status, body: await res.text() })
    void c.pump(res.body!.getReader())
    if (opts.waitHello !== false) await c.next((f) => f.type === 'hello')
    return c
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) break
      buf += decoder.decode(value, { stream: true })
      let i = buf.indexOf('\n\n')
      while (i >= 0) {
        const chunk = buf.slice(0, i)
        buf = buf.slice(i + 2)
        for (const line of chunk.split('\n')) {
          if (line.startsWith('id: ')) this.lastEventId = line.slice(4)
          else if (line.startsWith('data: ')) this.frames.push(JSON.parse(line.slice(6)))
        }
        i = buf.indexOf('\n\n')
      }
    }
    this.ended = true
  }

  /** The session id `hello` named. */
  get session(): string {
    return this.frames.find((f) => f.type === 'hello')?.session
  }

  /** POST frames to this client's session (on `url`, default the one it streams from). */
  async post(frames: unknown, url = this.url): Promise<{ status: number; body: Json }> {
    return restClient(url).api('POST', `/sessions/${this.session}/frames`, this.token, frames)
  }

  /** POST a frame with an id and wait for its answer on the stream. */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Json> {
    const id = `r${Math.random().toString(36).slice(2)}`
    const r = await this.post({ v: 1, ...frame, id })
    if (r.status !== 202) throw new Error(`POST frames: ${r.status} ${JSON.stringify(r.body)}`)
    return this.next((f) => f.id === id, timeoutMs)
  }

  close(): void {
    this.controller.abort()
  }
}

/** A long-poll chat client: one session, polled by hand or in a loop, frames recorded. */
export class PollClient extends RecordedFrames {
  seq = 0
  private constructor(
    readonly url: string,
    readonly token: string,
    readonly session: string,
  ) {
    super('long-poll')
  }

  /** Open a session with `POST /chat/sessions`. */
  static async open(url: string, token: string, v?: number): Promise<PollClient> {
    const r = await restClient(url).api('POST', `/sessions${v ? `?v=${v}` : ''}`, token)
    if (r.status !== 201) throw new Error(`open session: ${r.status} ${JSON.stringify(r.body)}`)
    return new PollClient(url, token, r.body.session)
  }

  /** One poll (on `url`, default the one that opened the session); records its frames. */
  async poll(waitMs = 0, url = this.url, token = this.token): Promise<{ status: number; frames: Json[] }> {
    const r = await restClient(url).api(
      'GET',
      `/sessions/${this.session}/poll?after=${this.seq}&waitMs=${waitMs}`,
      token,
    )
    if (r.status !== 200) return { status: r.status, frames: [] }
    this.seq = r.body.seq
    this.frames.push(...r.body.frames)
    return { status: 200, frames: r.body.frames }
  }

  async post(frames: unknown, url = this.url): Promise<{ status: number; body: Json }> {
    return restClient(url).api('POST', `/sessions/${this.session}/frames`, this.token, frames)
  }

  /** POST a frame with an id and poll until its answer arrives. */
  async request(frame: Record<string, unknown>, url = this.url): Promise<Json> {
    const id = `r${Math.random().toString(36).slice(2)}`
    const r = await this.post({ v: 1, ...frame, id }, url)
    if (r.status !== 202) throw new Error(`POST frames: ${r.status} ${JSON.stringify(r.body)}`)
    for (let i = 0; i < 50; i++) {
      const found = this.frames.find((f) => f.id === id)
      if (found) return found
      await this.poll(200, url)
    }
    throw new Error(`no answer to ${JSON.stringify(frame)}`)
  }
}
