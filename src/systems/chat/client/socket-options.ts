/**
 * What a page plugs into the chat client library (chat-client.ts) and hears back from it: the
 * socket it may supply, the handlers it is called with, the options it may set. The socket and its
 * states are the platform live client's (src/platform/live/client/).
 */
import type { LiveSocket } from '../../../platform/live/client/live-client.js'
import type { ConnectionState, SocketLike } from '../../../platform/live/client/socket-options.js'
import type { RoomEvent, ServerFrame } from './frames.js'

export {
  type ConnectionState,
  defaultRetryMs,
  type SocketLike,
} from '../../../platform/live/client/socket-options.js'

export interface ChatSocketHandlers {
  /** A room event, each offset once and in order per room. */
  event(e: RoomEvent): void
  /** Every other frame the page may show: receipts, typing, presence, errors, unsubscribed. */
  frame(f: ServerFrame): void
  state(s: ConnectionState, detail?: string): void
  /** The server stored the message sent with `cid` at `offset`. */
  sent(cid: string, room: number, offset: number): void
  /** The server refused the message sent with `cid` (not a member, too large, ...). */
  failed(cid: string, room: number, message: string): void
  /**
   * A room is streaming, from `after` (head: the room's last offset then). `resumed`: a
   * re-subscription (after a reconnect, a resync or a gap). `recovered`: every event after the
   * cursor is coming, nothing missed; false only when the server had fewer events than the client
   * saw (its data was reset) and the stream restarted at its head.
   */
  subscribed?(room: number, info: { after: number; head: number; resumed: boolean; recovered: boolean }): void
}

export interface ChatSocketOptions {
  handlers: ChatSocketHandlers
  /**
   * A live socket to share (the platform endpoint, `/live/ws`, that a console opens once for every
   * live page): rooms are read there as streams `chat.room.<id>`. Without it, the chat client opens
   * its own socket to `url` (`/chat/ws`, the chat protocol's own endpoint).
   */
  socket?: LiveSocket
  /** Called at each (re)connect, so a renewed token is picked up (own socket only). */
  url?: () => string
  open?: (url: string) => SocketLike
  /** Delay before reconnect attempt `n` (0-based). */
  retryMs?: (attempt: number) => number
  ackDelayMs?: number
  pingEveryMs?: number
  /** A new token for the same user, asked for when the server says the current one expires soon. */
  refreshToken?: () => Promise<string>
}
