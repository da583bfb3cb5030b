/** The Blueprints side of the chat bench: one `ws` client per member, speaking the chat protocol. */
import WebSocket from 'ws'
import type { Meter, Side } from './meter.js'

/** How the frames that carry messages start (the server writes these fields first, in this order). */
const BATCH_PREFIX = '{"v":2,"type":"batch"'
const MESSAGE_PREFIX = '{"v":1,"type":"message"'
const BODY_KEY = '"body":"'

/**
 * Hand `fn` the body of each message in a `message` or `batch` frame, found by scanning for
 * `"body":"` (the bench's bodies are numbers: nothing to unescape). False for any other frame.
 */
export function scanBodies(text: string, fn: (body: string) => void): boolean {
  if (!text.startsWith(BATCH_PREFIX) && !text.startsWith(MESSAGE_PREFIX)) return false
  for (let at = text.indexOf(BODY_KEY); at !== -1; at = text.indexOf(BODY_KEY, at)) {
    const from = at + BODY_KEY.length
    at = text.indexOf('"', from)
    fn(text.slice(from, at))
  }
  return true
}

/** Blueprints clients (`ws`), one per member: protocol v2 (`batch` frames) unless told v1. */
export class BlueprintsSide implements Side {
  private readonly sockets: WebSocket[] = []
  private senders: WebSocket[] = []
  private roomIds: number[] = []
  constructor(
    private readonly meter: Meter,
    readonly inflight: number[],
    private readonly window: () => number,
    private readonly protocol: 1 | 2 = 2,
    /** Users are named `<users>r<room>m<member>`: sides that share a server need distinct prefixes. */
    private readonly users = `v${protocol}`,
    /**
     * Read message frames leanly (scanBodies), no JSON.parse into objects. The load generator's
     * one core is the scarce resource (Socket.IO's one-message frames cost socket.io-client no more
     * than such a scan would: bench.ts, CLIENTS). Every other frame (hello, subscribed, errors) is
     * parsed in full.
     */
    private readonly lean = false,
  ) {}

  /** Tokens and room of each room's members, issued before any socket opens. */
  private registered?: { tokens: string[]; room: number }[]

  async register(url: string, rooms: number, members: number): Promise<void> {
    const api = async (path: string, token: string | undefined, body: unknown) => {
      const res = await fetch(`${url}/chat${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      })
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`)
      return (await res.json()) as { token: string; id: number }
    }
    this.registered = []
    for (let r = 0; r < rooms; r++) {
      const names = Array.from({ length: members }, (_, m) => `${this.users}r${r}m${m}`)
      const tokens: string[] = []
      for (const n of names) tokens.push((await api('/tokens', undefined, { user: n })).token)
      const room = (await api('/rooms', tokens[0], { name: `bench ${r}`, members: names.slice(1) }))
        .id as number
      this.registered.push({ tokens, room })
    }
  }

  async connect(url: string, rooms: number, members: number): Promise<void> {
    if (!this.registered) await this.register(url, rooms, members)
    for (const [r, { tokens, room }] of this.registered!.entries()) {
      this.roomIds.push(room)
      this.inflight.push(0)
      const sockets = await Promise.all(tokens.map((t, m) => this.open(url, t, room, r, m === 0)))
      this.senders.push(sockets[0]!)
    }
  }

  private async open(
    url: string,
    token: string,
    room: number,
    r: number,
    sender: boolean,
  ): Promise<WebSocket> {
    // No UTF-8 validation of what the server sends: the load generator's core is the scarce one.
    const ws = new WebSocket(
      `${url.replace('http', 'ws')}/chat/ws?v=${this.protocol}&access_token=${token}`,
      {
        skipUTF8Validation: true,
      },
    )
    this.sockets.push(ws)
    const onMessage = (body: string) => {
      this.meter.record(Number(body))
      if (sender) {
        this.inflight[r]!--
        if (this.meter.active && this.inflight[r]! < this.window()) this.send(r)
      }
    }
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject)
      ws.on('message', (data) => {
        const text = data.toString()
        if (this.lean && scanBodies(text, onMessage)) return
        const f = JSON.parse(text) as {
          type: string
          body?: string
          events?: { type: string; body: string }[]
        }
        if (f.type === 'message') onMessage(f.body!)
        else if (f.type === 'batch') {
          for (const e of f.events!) if (e.type === 'message') onMessage(e.body)
        } else if (f.type === 'subscribed') resolve()
        else if (f.type === 'hello') ws.send(JSON.stringify({ v: 1, type: 'subscribe', room, id: 's' }))
        else if (f.type === 'error') reject(new Error(JSON.stringify(f)))
      })
    })
    return ws
  }

  send(r: number): void {
    this.inflight[r]!++
    this.senders[r]!.send(
      JSON.stringify({ v: 1, type: 'send', room: this.roomIds[r], body: String(performance.now()) }),
    )
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate()
  }
}
