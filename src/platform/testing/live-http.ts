/** Test clients of a live endpoint's HTTP transports: an SSE stream and a long-poll session, recording frames. */
import type { LiveJson } from './live.js'
import { waitFor } from './wait.js'

async function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

abstract class Recorded {
  readonly frames: LiveJson[] = []

  async next(pred: (f: LiveJson) => boolean, timeoutMs = 10_000): Promise<LiveJson> {
    let found: LiveJson
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

  /** The events of `stream` received, `batch` frames unpacked. */
  events(stream: string): LiveJson[] {
    return this.frames
      .flatMap((f) => (f.type === 'batch' ? f.events : [f]))
      .filter((f: LiveJson) => f.stream === stream && typeof f.offset === 'number')
  }
}

/** An SSE client on `fetch` of `<url><prefix>/sse`, keeping the last event id as EventSource does. */
export class LiveSseClient extends Recorded {
  lastEventId: string | undefined
  private readonly controller = new AbortController()
  private constructor(
    readonly url: string,
    readonly token: string,
    readonly prefix: string,
  ) {
    super()
  }

  static async connect(
    url: string,
    token: string,
    opts: { prefix?: string; lastEventId?: string } = {},
  ): Promise<LiveSseClient> {
    const c = new LiveSseClient(url, token, opts.prefix ?? '/live')
    const res = await fetch(`${url}${c.prefix}/sse?access_token=${token}&v=2`, {
      signal: c.controller.signal,
      headers: opts.lastEventId !== undefined ? { 'last-event-id': opts.lastEventId } : {},
    })
    if (res.status !== 200) throw new Error(`SSE ${res.status}: ${await res.text()}`)
    void c.pump(res.body!.getReader())
    await c.next((f) => f.type === 'hello')
    return c
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) break
      buf += decoder.decode(value, { stream: true })
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        for (const line of buf.slice(0, i).split('\n')) {
          if (line.startsWith('id: ')) this.lastEventId = line.slice(4)
          else if (line.startsWith('data: ')) this.frames.push(JSON.parse(line.slice(6)))
        }
        buf = buf.slice(i + 2)
      }
    }
  }

  get session(): string {
    return this.frames.find((f) => f.type === 'hello')?.session
  }

  /** POST a frame with an id to the session and wait for its answer on the stream. */
  async request(frame: Record<string, unknown>): Promise<LiveJson> {
    const id = `r${Math.random().toString(36).slice(2)}`
    const r = await api(this.url, 'POST', `${this.prefix}/sessions/${this.session}/frames`, this.token, {
      v: 1,
      ...frame,
      id,
    })
    if (r.status !== 202) throw new Error(`POST frames: ${r.status} ${JSON.stringify(r.body)}`)
    return this.next((f) => f.id === id)
  }

  close(): void {
    this.controller.abort()
  }
}

/** A long-poll session of `<url><prefix>/sessions`, polled by hand. */
export class LivePollClient extends Recorded {
  seq = 0
  private constructor(
    readonly url: string,
    readonly token: string,
    readonly prefix: string,
    readonly session: string,
  ) {
    super()
  }

  static async open(url: string, token: string, prefix = '/live'): Promise<LivePollClient> {
    const r = await api(url, 'POST', `${prefix}/sessions?v=2`, token)
    if (r.status !== 201) throw new Error(`open session: ${r.status} ${JSON.stringify(r.body)}`)
    return new LivePollClient(url, token, prefix, r.body.session)
  }

  /** One poll (on `url`, default the node that opened the session). */
  async poll(waitMs = 0, url = this.url): Promise<number> {
    const r = await api(
      url,
      'GET',
      `${this.prefix}/sessions/${this.session}/poll?after=${this.seq}&waitMs=${waitMs}`,
      this.token,
    )
    if (r.status !== 200) return r.status
    this.seq = r.body.seq
    this.frames.push(...r.body.frames)
    return 200
  }

  /** POST a frame with an id and poll until its answer arrives. */
  async request(frame: Record<string, unknown>): Promise<LiveJson> {
    const id = `r${Math.random().toString(36).slice(2)}`
    const r = await api(this.url, 'POST', `${this.prefix}/sessions/${this.session}/frames`, this.token, {
      v: 1,
      ...frame,
      id,
    })
    if (r.status !== 202) throw new Error(`POST frames: ${r.status} ${JSON.stringify(r.body)}`)
    for (let i = 0; i < 50 && !this.frames.some((f) => f.id === id); i++) await this.poll(200)
    return this.next((f) => f.id === id, 1)
  }
}
