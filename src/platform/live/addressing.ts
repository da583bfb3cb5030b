/**
 * How an endpoint names streams in its frames. The platform endpoint (`/live/ws`) carries streams
 * of every kind and names them in full, `"stream": "chat.room.5"`; a system's own endpoint carries
 * its one kind and names a stream the way its protocol always did (chat: `"room": 5`). Everything
 * else (subscriptions, offsets, replay, resume) is the same code under either naming.
 */
import type { LiveErrors } from './errors.js'
import type { StreamKindHandle, StreamRef } from './stream-kind.js'

export interface Addressing {
  /** The one kind this endpoint carries (a system's own endpoint); undefined: every declared kind. */
  readonly kind?: StreamKindHandle
  /** The frame field that names a stream: `room` on chat's endpoint, `stream` on the platform's. */
  readonly field: string
  /** The field of `resync` mapping each stream to the last offset sent: `rooms`, `streams`. */
  readonly plural: string
  /** A stream in error messages: `room`, `stream`. */
  readonly noun: string
  /**
   * Whether a kind's events and signals name their stream themselves (chat's carry `room`): they
   * are sent as they are. Otherwise each frame gets the stream field in front
   * (`{"stream":"chat.room.5",...}`), made once per event and shared like the event's own text.
   */
  readonly eventsNamed: boolean
  /**
   * The field that names the stream of a signal (a frame without an offset: typing, a receipt) when
   * the naming adds one: `signal` on the platform endpoint, so a client tells signals from events by
   * the field alone (a kind's signal may carry an `offset` of its own, as chat's receipts do).
   */
  readonly signalField: string
  /** The stream a client frame's field names; throws the endpoint's MALFORMED_FRAME error. */
  parse(value: unknown, errors: LiveErrors): StreamRef
  /** The value a server frame carries for `ref`. */
  name(ref: StreamRef): string | number
  /** A compact form for SSE event ids and the session registry (no `,` or `:`). */
  token(ref: StreamRef): string
  /** The stream a token names; undefined when it names none. */
  fromToken(token: string): StreamRef | undefined
}

/**
 * One kind's streams named by their id in `field`: `numeric` ids are positive integers (chat's
 * `room`), sent as JSON numbers; others are the kind's ids as strings.
 */
export function kindAddressing(
  kind: StreamKindHandle,
  o: { field: string; plural: string; noun: string; numeric: boolean },
): Addressing {
  const parseToken = (token: string): StreamRef | undefined => {
    if (o.numeric && !/^[1-9]\d{0,15}$/.test(token)) return undefined
    const id = kind.parseId(token)
    return id === undefined ? undefined : kind.ref(id)
  }
  return {
    kind,
    field: o.field,
    signalField: o.field,
    plural: o.plural,
    noun: o.noun,
    eventsNamed: true,
    parse(value, errors) {
      if (o.numeric) {
        if (
          typeof value !== 'number' ||
          !Number.isInteger(value) ||
          value < 1 ||
          value > Number.MAX_SAFE_INTEGER
        )
          throw errors.malformed(`${o.field} must be a positive integer`)
        return kind.ref(String(value))
      }
      const ref = typeof value === 'string' ? parseToken(value) : undefined
      if (!ref) throw errors.malformed(`${o.field} must be a ${o.noun} id`)
      return ref
    },
    name: (ref) => (o.numeric ? Number(ref.id) : ref.id),
    token: (ref) => ref.id,
    fromToken: parseToken,
  }
}

/**
 * Every declared kind's streams, named in full: `<system>.<kind>.<id>` in the `stream` field (events
 * and answers), and in the `signal` field of a stream's signals.
 */
export function fullAddressing(kinds: (name: string) => StreamKindHandle | undefined): Addressing {
  const fromToken = (token: string): StreamRef | undefined => {
    if (token.length > 200) return undefined
    const dot = token.lastIndexOf('.')
    if (dot <= 0) return undefined
    const kind = kinds(token.slice(0, dot))
    if (!kind) return undefined
    const raw = token.slice(dot + 1)
    const id = kind.parseId(raw)
    return id === undefined ? undefined : kind.ref(id)
  }
  return {
    field: 'stream',
    signalField: 'signal',
    plural: 'streams',
    noun: 'stream',
    eventsNamed: false,
    parse(value, errors) {
      const ref = typeof value === 'string' ? fromToken(value) : undefined
      if (!ref)
        throw errors.malformed('stream must name a stream as <system>.<kind>.<id>, e.g. "chat.room.5"')
      return ref
    },
    name: (ref) => ref.key,
    token: (ref) => ref.key,
    fromToken,
  }
}
