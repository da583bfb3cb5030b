/**
 * What a system declares to stream to clients: a stream kind (a chat room, a board, a subscriber's
 * inbox, a show's seat map). The library needs three things of it: who may read a stream
 * (`authorize`), where a stream's history lives (`history`: the system's own table, read by
 * offset), and which stream an event belongs to (`streamOf`). The system then publishes its
 * committed events with `StreamKind.publish`, and the library does the rest: fan-out on every
 * node, replay, resume, backpressure, on every transport.
 *
 * An event is a JSON object with a `type` and an `offset`: offsets are dense per stream (1, 2, 3,
 * ... no gaps) and increase in commit order, which the system guarantees by taking them under a
 * lock of the stream's counter row in the transaction that writes the event (see README.md). The
 * event is sent to clients as it is (its own fields), so it should name its stream the way the
 * system's clients expect (chat's events carry `room`); it must not have a field named `stream`
 * (the platform endpoint adds that one).
 */
import type { RateLimiter } from '../rate-limit/index.js'
import type { LiveErrors } from './errors.js'

/** A committed event of a stream. */
export interface LiveEvent {
  readonly type: string
  readonly offset: number
}

/** Who a connection runs as: a verified token's user, expiry and identity (for revocation). */
export interface Principal {
  readonly user: string
  /** Expiry, ms since the epoch. */
  readonly expiresAt: number
  /** Issue time, ms since the epoch, when the token has one. */
  readonly issuedAt: number | undefined
  /** The token's id, when it has one. */
  readonly jti: string | undefined
}

/** Where a stream's history lives, read by offset (the system's own table). */
export interface StreamHistory<E extends LiveEvent = LiveEvent> {
  /** The last offset of each stream of `ids` (0 for an empty one); streams that do not exist are absent. */
  heads(ids: string[]): Promise<Map<string, number>>
  /** The events of stream `id` with offsets in (after, upTo], in offset order, at most `limit`. */
  read(id: string, after: number, upTo: number, limit: number): Promise<E[]>
}

/** Reads a client frame's own fields; each throws the endpoint's MALFORMED_FRAME error naming the field. */
export interface FieldReader {
  /** A non-negative integer (an offset); `required: false` gives undefined when absent. */
  offset(raw: Record<string, unknown>, key: string, required: true): number
  offset(raw: Record<string, unknown>, key: string, required: false): number | undefined
  /** A non-empty string of at most `max` UTF-8 bytes; `tooLarge` makes the error for a longer one. */
  text(raw: Record<string, unknown>, key: string, max: number, tooLarge?: (max: number) => Error): string
  /** The endpoint's MALFORMED_FRAME error. */
  malformed(detail: string): Error
}

/**
 * A client frame that acts on a stream of this kind (chat's `send`, `edit`, ...). The library
 * parses the envelope (`v`, `type`, `id`, the stream it names) and hands the rest to `parse`;
 * `handle` runs after the frames before it on the connection and answers with `conn.sendFrame`.
 * Every such frame counts against the kind's `limiter`.
 */
export interface KindFrame<F = unknown> {
  parse(raw: Record<string, unknown>, fields: FieldReader): F
  handle(conn: LiveConnection, ref: StreamRef, frame: F, id: string | undefined): Promise<void>
  /** Not awaited: the next frame of the connection need not wait for this one to finish (chat's `send`). */
  readonly pipelined?: boolean
}

/** A signal on the Bus: a frame for the stream's listeners; `except`: not to this user; `end`: unsubscribe them all. */
export interface BusSignal {
  frame: Record<string, unknown>
  except?: string
  end?: string
}

/** How a kind's signals looked on the Bus before this library (chat's `chat.eph.<room>`), see legacy-subjects.ts. */
export interface LegacySignals {
  /** The subject prefix; the stream id is the last token (`chat.eph`). */
  readonly subject: string
  /** The message an old node expects for `signal` on stream `id`; undefined: none. */
  encode(id: string, signal: BusSignal): unknown
  /** The signal an old node's message on stream `id` means; undefined: ignore it. */
  decode(id: string, data: unknown): BusSignal | undefined
}

export interface StreamKindSpec<E extends LiveEvent = LiveEvent> {
  /** The id of the stream `event` belongs to (chat: its room). */
  streamOf(event: E): string
  /**
   * Resolve when `user` (running on `principal`, the token it connected with) may read stream `id`;
   * throw an AppError otherwise (a 404 that hides a private stream, a 403).
   */
  authorize(user: string, id: string, principal: Principal | undefined): Promise<void>
  history: StreamHistory<E>
  /**
   * Parse a stream id as a client names it on the system's own endpoint or in `<kind>.<id>`; return
   * undefined for an invalid one. Default: 1-64 of `A-Z a-z 0-9 _ -` (a Bus subject token).
   */
  parseId?(id: string): string | undefined
  /** The user who stops receiving the stream at this event (a member who left), if any. */
  endsFor?(event: E): string | undefined
  /** Client frames that act on a stream of this kind, by type. */
  frames?: Record<string, KindFrame<unknown>>
  /** The write limit of this kind's frames, per connection (key: the connection id). */
  limiter?: RateLimiter
  /** How often this node compares its streams' heads with `history.heads` (fills what the Bus lost); default 1 s. */
  sweepMs?: number
  /** Events per history read when replaying or filling a gap; default 500. */
  replayPage?: number
  /** The kind's signals as nodes before this library sent them, spoken too while LIVE_LEGACY_SUBJECTS is on. */
  legacySignals?: LegacySignals
}

/** What a kind's frame handler sees of the connection a frame came on (Connection implements it). */
export interface LiveConnection {
  /** Unique on this node; the key of per-connection limits. */
  readonly id: string
  readonly user: string
  /** The token the connection runs on (undefined: never expires). */
  readonly principal: Principal | undefined
  readonly closed: boolean
  /** Whether the connection is subscribed to `ref`. */
  isSubscribed(ref: StreamRef): boolean
  /** `{ <field>: <name> }` naming `ref` as this connection's endpoint does: what an answer about a stream carries. */
  naming(ref: StreamRef): Record<string, string | number>
  /** Send a frame made for this connection (an answer). */
  sendFrame(frame: Record<string, unknown>): void
}

/** A stream of a kind: the kind, its id, and its full name `<system>.<kind>.<id>` (the Bus subject too). */
export interface StreamRef {
  readonly kind: StreamKindHandle
  readonly id: string
  readonly key: string
}

/** The parts of a declared kind the connection-side code needs (StreamKind in live.ts implements it). */
export interface StreamKindHandle {
  /** `<system>.<kind>`, e.g. `chat.room`. */
  readonly name: string
  readonly spec: StreamKindSpec<LiveEvent>
  /** The stream of id `id` (already valid). */
  ref(id: string): StreamRef
  /** A client's id of a stream of this kind, checked (`spec.parseId`, or STREAM_ID); undefined when invalid. */
  parseId(raw: string): string | undefined
}

/** The default stream id: a Bus subject token. */
export const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Build the field reader of an endpoint's errors. */
export function fieldReader(errors: LiveErrors): FieldReader {
  function offset(raw: Record<string, unknown>, key: string, required: true): number
  function offset(raw: Record<string, unknown>, key: string, required: false): number | undefined
  function offset(raw: Record<string, unknown>, key: string, required: boolean): number | undefined {
    const v = raw[key]
    if (v === undefined && !required) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER)
      throw errors.malformed(`${key} must be a non-negative integer`)
    return v
  }
  return {
    offset,
    text(raw, key, max, tooLarge) {
      const v = raw[key]
      if (typeof v !== 'string') throw errors.malformed(`${key} must be a string`)
      if (v.length === 0) throw errors.malformed(`${key} must not be empty`)
      // UTF-16 length bounds the UTF-8 length from below; measure exactly only when it could matter.
      if (v.length > max || (v.length * 3 > max && Buffer.byteLength(v) > max))
        throw tooLarge ? tooLarge(max) : errors.malformed(`${key} must be at most ${max} bytes`)
      return v
    },
    malformed: (detail) => errors.malformed(detail),
  }
}
