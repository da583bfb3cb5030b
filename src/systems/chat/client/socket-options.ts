/**
 * What a page plugs into the chat client library (chat-client.ts) and hears back from it: the
 * socket it may supply, the handlers it is called with, the options it may set.
 */
import type { RoomEvent, ServerFrame } from './frames.js'

/** What the client needs of a WebSocket (the browser's, or a test's fake). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'closed'

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
  /** Called at each (re)connect, so a renewed token is picked up. */
  url: () => string
  handlers: ChatSocketHandlers
  open?: (url: string) => SocketLike
  /** Delay before reconnect attempt `n` (0-based). */
  retryMs?: (attempt: number) => number
  ackDelayMs?: number
  pingEveryMs?: number
  /** A new token for the same user, asked for when the server says the current one expires soon. */
  refreshToken?: () => Promise<string>
}

/** Exponential backoff with jitter, capped at 10 s: a restarted server is not hit by every client at once. */
export function defaultRetryMs(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** attempt)
  return base / 2 + Math.random() * (base / 2)
}
