/**
 * SSE event ids, and resuming a stream from one. An id is `<session>:<room>-<offset>,...`: the
 * session and the last offset sent of every subscribed room. It holds the whole state a resume
 * needs, so any node can resume the stream from it: no session state is kept on a server, nothing
 * to share between nodes. EventSource sends the last id it received as `Last-Event-ID` when it
 * reconnects (a polyfill may pass `?lastEventId=` instead); the new stream keeps the session id and
 * subscribes each room from its offset, so the client gets every event after what it had, once, in
 * order, without sending `subscribe` again.
 */

/** The most rooms a resumed stream subscribes to (what one client can reasonably have open). */
const MAX_ROOMS = 1_000
const ID = /^([A-Za-z0-9_-]{1,64}):((?:\d{1,16}-\d{1,16})(?:,\d{1,16}-\d{1,16})*)?$/

/** The event id for `session` at `positions` (room -> last offset sent). */
export function encodeEventId(session: string, positions: Map<number, number>): string {
  let rooms = ''
  for (const [room, offset] of positions) rooms += `${rooms ? ',' : ''}${room}-${offset}`
  return `${session}:${rooms}`
}

/** A resume point: the session to continue and where each room stands. */
export interface ResumePoint {
  session: string
  rooms: Map<number, number>
}

/** Parse a `Last-Event-ID`; undefined when it is not one of ours (the stream then starts afresh). */
export function decodeEventId(id: string | undefined): ResumePoint | undefined {
  if (!id || id.length > 40_000) return undefined
  const m = ID.exec(id.trim())
  if (!m) return undefined
  const rooms = new Map<number, number>()
  for (const pair of m[2] ? m[2].split(',') : []) {
    const [room, offset] = pair.split('-').map(Number) as [number, number]
    if (!Number.isSafeInteger(room) || room < 1 || !Number.isSafeInteger(offset)) return undefined
    rooms.set(room, offset)
    if (rooms.size > MAX_ROOMS) return undefined
  }
  return { session: m[1]!, rooms }
}
