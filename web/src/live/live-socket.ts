/**
 * The console's live connection: one WebSocket to the platform's live endpoint (`/live/ws`) per
 * signed-in token, shared by every live page (chat today; a board, an inbox, a seat map next), on
 * the platform's client (src/platform/live/client). A page acquires it while it shows and releases
 * it when it goes; the last release closes it. Pages attach their own listeners and read their own
 * streams on it (chat: `chat.room.<id>`).
 */
import { LiveSocket, type SocketLike } from '../../../src/platform/live/client/live-client.js'

export { LiveSocket, type SocketLike } from '../../../src/platform/live/client/live-client.js'

/**
 * The live endpoint's WebSocket URL on this origin, protocol v2 (a commit arrives as one frame).
 * The token travels in the query because a browser's WebSocket cannot set an Authorization header.
 */
export function liveUrl(
  token: string,
  loc: { protocol: string; host: string } = (
    globalThis as unknown as { location: { protocol: string; host: string } }
  ).location,
): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${loc.host}/live/ws?access_token=${encodeURIComponent(token)}&v=2`
}

const shared = new Map<string, { socket: LiveSocket; users: number }>()

/** The console's connection for `token`, opened on first use (`open` replaces the browser's WebSocket: tests). */
export function acquireLive(token: string, open?: (url: string) => SocketLike): LiveSocket {
  let entry = shared.get(token)
  if (!entry) {
    const socket = new LiveSocket({ url: () => liveUrl(token), ...(open && { open }) })
    entry = { socket, users: 0 }
    shared.set(token, entry)
  }
  entry.users++
  return entry.socket
}

/** A page is done with `token`'s connection; the last one closes it. */
export function releaseLive(token: string): void {
  const entry = shared.get(token)
  if (!entry || --entry.users > 0) return
  shared.delete(token)
  entry.socket.close()
}
