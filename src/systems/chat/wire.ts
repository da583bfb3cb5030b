/**
 * Server frames as they go on the wire, made once and shared by every
 * connection that gets them. Fan-out cost is per member, so anything done per
 * member and frame (serialising, UTF-8 encoding, building the WebSocket
 * header) is done here once per room event or batch instead: a room of 50
 * members then pays one JSON.stringify and one encode per event, and one
 * socket write per member per batch.
 */
import type { RoomEvent } from './protocol.js'

/**
 * A final, unmasked, uncompressed text frame (RFC 6455 section 5.2), as a server sends it: FIN and
 * opcode 1, then the payload length in 7 bits, or 126 and 16 bits, or 127 and 64 bits.
 */
export function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text)
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10
  const out = Buffer.allocUnsafe(head + n)
  out[0] = 0x81
  if (n < 126) out[1] = n
  else if (n < 65_536) {
    out[1] = 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 127
    out.writeBigUInt64BE(BigInt(n), 2)
  }
  out.write(text, head, 'utf8')
  return out
}

/** One serialised server frame; its WebSocket and SSE encodings are built on first use, once. */
export class OutFrame {
  private ws: Buffer | undefined
  private sse: string | undefined

  constructor(readonly text: string) {}

  /** The whole WebSocket frame (header and UTF-8 payload), the same bytes for every socket. */
  wsFrame(): Buffer {
    if (!this.ws) this.ws = textFrame(this.text)
    return this.ws
  }

  /** The SSE event carrying it. */
  sseChunk(): string {
    if (this.sse === undefined) this.sse = `data: ${this.text}\n\n`
    return this.sse
  }
}

/**
 * Consecutive events of one room (offsets `first`..`last`, no gap), as a feed delivers them to
 * every listener at once: each event's v1 frame, and (for protocol v2 connections) one `batch`
 * frame carrying them all, each made when first asked for.
 */
export class EventRun {
  readonly frames: OutFrame[]
  /** Users who left (or were removed) in this run: they must not get the events after it. */
  readonly leavers: ReadonlySet<string> | undefined
  private batchFrame: OutFrame | undefined

  constructor(
    readonly room: number,
    readonly events: RoomEvent[],
  ) {
    this.frames = events.map((e) => new OutFrame(JSON.stringify(e)))
    let leavers: Set<string> | undefined
    for (const e of events)
      if (e.type === 'update' && e.kind === 'leave') {
        leavers ??= new Set()
        leavers.add(e.user)
      }
    this.leavers = leavers
  }

  get first(): number {
    return this.events[0]!.offset
  }

  get last(): number {
    return this.events[this.events.length - 1]!.offset
  }

  /** The v2 frame of the run: the event's own frame for one event, else one `batch` frame. */
  batch(): OutFrame {
    if (this.frames.length === 1) return this.frames[0]!
    if (!this.batchFrame) {
      // Joined from the events' texts: nothing is serialised twice.
      let text = `{"v":2,"type":"batch","room":${this.room},"events":[${this.frames[0]!.text}`
      for (let i = 1; i < this.frames.length; i++) text += `,${this.frames[i]!.text}`
      this.batchFrame = new OutFrame(`${text}]}`)
    }
    return this.batchFrame
  }
}
