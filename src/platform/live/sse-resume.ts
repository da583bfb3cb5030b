/**
 * SSE event ids, and resuming a stream from one. An id is `<session>:<stream>-<offset>,...`: the
 * session and the last offset sent of every subscribed stream (each stream in the endpoint's
 * compact form: chat's room id, the platform's `chat.room.5`). It holds the whole state a resume
 * needs, so any node can resume the stream from it: no session state is kept on a server, nothing
 * to share between nodes. EventSource sends the last id it received as `Last-Event-ID` when it
 * reconnects (a polyfill may pass `?lastEventId=` instead); the new stream keeps the session id and
 * subscribes each stream from its offset, so the client gets every event after what it had, once,
 * in order, without sending `subscribe` again.
 */
import type { Addressing } from './addressing.js'
import type { StreamRef } from './stream-kind.js'

/** The most streams a resumed stream subscribes to (what one client can reasonably have open). */
const MAX_STREAMS = 1_000
const ID = /^([A-Za-z0-9_-]{1,64}):(.*)$/
const OFFSET = /^\d{1,16}$/

/** The event id for `session` at `positions` (stream token -> last offset sent). */
export function encodeEventId(session: string, positions: Map<string, number>): string {
  let streams = ''
  for (const [token, offset] of positions) streams += `${streams ? ',' : ''}${token}-${offset}`
  return `${session}:${streams}`
}

/** A resume point: the session to continue and where each stream stands. */
export interface ResumePoint {
  session: string
  /** By stream key: the stream and the last offset the client has of it. */
  streams: Map<string, { ref: StreamRef; after: number }>
}

/** Parse a `Last-Event-ID`; undefined when it is not one of ours (the stream then starts afresh). */
export function decodeEventId(a: Addressing, id: string | undefined): ResumePoint | undefined {
  if (!id || id.length > 40_000) return undefined
  const m = ID.exec(id.trim())
  if (!m) return undefined
  const streams = new Map<string, { ref: StreamRef; after: number }>()
  for (const pair of m[2] ? m[2].split(',') : []) {
    // The offset is after the last `-` (a stream token may hold one).
    const dash = pair.lastIndexOf('-')
    const offset = pair.slice(dash + 1)
    const ref = dash > 0 ? a.fromToken(pair.slice(0, dash)) : undefined
    if (!ref || !OFFSET.test(offset)) return undefined
    streams.set(ref.key, { ref, after: Number(offset) })
    if (streams.size > MAX_STREAMS) return undefined
  }
  return { session: m[1]!, streams }
}
