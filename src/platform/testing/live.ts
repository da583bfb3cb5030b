/**
 * Helpers for the live library's tests: stream kinds without a Live, a Bus or a database (unit
 * tests), and a raw WebSocket client of a live endpoint that records its frames.
 */
import WebSocket from 'ws'
import { type Addressing, kindAddressing } from '../live/addressing.js'
import { STREAM_ID, type StreamKindHandle, type StreamKindSpec } from '../live/stream-kind.js'
import { waitFor } from './wait.js'

/** A kind named `name` whose spec is `spec` (history and authorize refuse unless given). */
export function testKind(name: string, spec: Partial<StreamKindSpec> = {}): StreamKindHandle {
  const kind: StreamKindHandle = {
    name,
    spec: {
      streamOf: (e) => String((e as unknown as { room: number }).room),
      authorize: async () => {},
      history: {
        heads: async () => new Map(),
        read: async () => [],
      },
      ...spec,
    },
    ref: (id) => ({ kind, id, key: `${name}.${id}` }),
    parseId: (raw) => (STREAM_ID.test(raw) ? raw : undefined),
  }
  return kind
}

/** Chat's naming: one kind's streams as `"room": <positive integer>`. */
export function roomAddressing(kind: StreamKindHandle): Addressing {
  return kindAddressing(kind, { field: 'room', plural: 'rooms', noun: 'room', numeric: true })
}

/** Parsed frames in tests: shapes are checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type LiveJson = any

/** A raw WebSocket client of a live endpoint that records every frame it receives. */
export class LiveWsClient {
  readonly frames: LiveJson[] = []
  closed: { code: number; reason: string } | undefined
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())))
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
    })
    ws.on('error', () => {})
  }

  /** Connect to `<url><path>` (default the platform's `/live/ws`) with `token`, asking for protocol `v`; wait for `hello`. */
  static async connect(
    url: string,
    token: string,
    opts: { path?: string; v?: number; waitHello?: boolean } = {},
  ): Promise<LiveWsClient> {
    const query = new URLSearchParams({ access_token: token, ...(opts.v && { v: String(opts.v) }) })
    const ws = new WebSocket(`${url.replace('http', 'ws')}${opts.path ?? '/live/ws'}?${query}`)
    const c = new LiveWsClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    if (opts.waitHello !== false) await c.next((f) => f.type === 'hello' || f.type === 'error')
    return c
  }

  /** Frames already handed out by `next` or `request`, so a stale reply is never matched again. */
  private readonly taken = new Set<LiveJson>()

  /** The first recorded frame matching `pred` that no earlier `next` returned (waiting for it). */
  async next(pred: (f: LiveJson) => boolean, timeoutMs = 10_000): Promise<LiveJson> {
    let found: LiveJson
    await waitFor(
      'a matching live frame',
      () => {
        found = this.frames.find((f) => !this.taken.has(f) && pred(f))
        return found !== undefined
      },
      timeoutMs,
    )
    this.taken.add(found)
    return found
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: 1, ...frame }))
  }

  /** Send a frame with an id and wait for its answer (any frame echoing the id). */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<LiveJson> {
    const id = `r${Math.random().toString(36).slice(2)}`
    this.send({ ...frame, id })
    return this.next((f) => f.id === id, timeoutMs)
  }

  /** The events of `stream` received (frames with an offset naming it), `batch` frames unpacked. */
  events(stream: string): LiveJson[] {
    return this.frames
      .flatMap((f) => (f.type === 'batch' ? f.events : [f]))
      .filter((f: LiveJson) => f.stream === stream && typeof f.offset === 'number')
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const closed = new Promise((r) => this.ws.once('close', r))
    this.ws.close()
    await closed
  }
}

/** JSON calls against a test server at `url` (no token: the fixture's REST takes none). */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: LiveJson }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
