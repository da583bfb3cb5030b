/**
 * Server frames as they go on the wire, made once and shared by every
 * connection that gets them. Fan-out cost is per member, so anything done per
 * member and frame (serialising, UTF-8 encoding, building the WebSocket
 * header) is done here once per stream event or batch instead: a stream with
 * 50 readers then pays one JSON.stringify and one encode per event, and one
 * socket write per reader per batch.
 */
import type { Addressing } from './addressing.js'
import type { LiveEvent, StreamRef } from './stream-kind.js'

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
 * The text of a frame the stream's kind made (an event, a signal) as `a` sends it: as it is when the
 * kind's frames name their stream themselves, else with the stream field in front.
 */
export function namedText(a: Addressing, ref: StreamRef, text: string, field = a.field): string {
  if (a.eventsNamed) return text
  return `{"${field}":${JSON.stringify(a.name(ref))},${text.slice(1)}`
}

/** A run's frames under one naming: each event's text and frame, and the v2 `batch` frame of them all. */
interface Encoded {
  texts: readonly string[]
  frames: OutFrame[] | undefined
  batch: OutFrame | undefined
}

/**
 * Consecutive events of one stream (offsets `first`..`last`, no gap), as a feed delivers them to
 * every listener at once: each event's v1 frame, and (for protocol v2 connections) one `batch`
 * frame carrying them all, each made when first asked for, once per naming (an endpoint of the
 * system's own, and the platform's).
 */
export class EventRun {
  /** Each event serialised once, whatever the naming. */
  readonly texts: string[]
  /** Users who stop receiving the stream in this run (a member who left): they must not get what follows. */
  readonly leavers: ReadonlySet<string> | undefined
  private named: Encoded | undefined
  private full: Encoded | undefined

  constructor(
    readonly ref: StreamRef,
    readonly events: readonly LiveEvent[],
  ) {
    const texts: string[] = []
    for (let i = 0; i < events.length; i++) texts.push(JSON.stringify(events[i]))
    this.texts = texts
    const endsFor = ref.kind.spec.endsFor
    let leavers: Set<string> | undefined
    if (endsFor)
      for (let i = 0; i < events.length; i++) {
        const user = endsFor(events[i]!)
        if (user === undefined) continue
        leavers ??= new Set()
        leavers.add(user)
      }
    this.leavers = leavers
  }

  get first(): number {
    return this.events[0]!.offset
  }

  get last(): number {
    return this.events[this.events.length - 1]!.offset
  }

  private encoded(a: Addressing): Encoded {
    if (a.eventsNamed) {
      this.named ??= { texts: this.texts, frames: undefined, batch: undefined }
      return this.named
    }
    this.full ??= {
      texts: this.texts.map((t) => namedText(a, this.ref, t)),
      frames: undefined,
      batch: undefined,
    }
    return this.full
  }

  /** Event `i`'s frame under `a`'s naming. */
  frame(a: Addressing, i: number): OutFrame {
    const enc = this.encoded(a)
    enc.frames ??= enc.texts.map((t) => new OutFrame(t))
    return enc.frames[i]!
  }

  /** The v2 frame of the run: the event's own frame for one event, else one `batch` frame. */
  batch(a: Addressing): OutFrame {
    if (this.texts.length === 1) return this.frame(a, 0)
    const enc = this.encoded(a)
    if (!enc.batch) {
      // Joined from the events' texts: nothing is serialised twice.
      const texts = enc.texts
      let text = `{"v":2,"type":"batch","${a.field}":${JSON.stringify(a.name(this.ref))},"events":[${texts[0]}`
      for (let i = 1; i < texts.length; i++) text += `,${texts[i]}`
      enc.batch = new OutFrame(`${text}]}`)
    }
    return enc.batch
  }
}

/** A signal of a stream as a feed hands it to every listener: its frame's text, made once per naming. */
export interface SignalRun {
  readonly ref: StreamRef
  /** The kind's frame, serialised once. */
  readonly text: string
  /** A user whose connections do not get it (the typist of a typing signal). */
  readonly except: string | undefined
  /** Set: the stream ended (deleted); listeners are unsubscribed with this reason. */
  readonly end: string | undefined
  /** The text with the signal field in front, for the platform's naming (made on first use). */
  full?: string
}

/** The text of signal `s` as `a` sends it. */
export function signalText(a: Addressing, s: SignalRun): string {
  if (a.eventsNamed) return s.text
  s.full ??= namedText(a, s.ref, s.text, a.signalField)
  return s.full
}
