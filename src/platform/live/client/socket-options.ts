/**
 * What a page or a Node program plugs into the live client (live-client.ts) and hears back from it:
 * the socket it may supply, the handlers it is called with, the options it may set.
 */
import type { LiveEventFrame, ServerFrame } from './frames.js'

/** What the client needs of a WebSocket (the browser's, `ws` in Node, or a test's fake). */
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

/** A stream as the endpoint names it: `"chat.room.5"` on `/live`, a system's own id (chat's room number). */
export type StreamName = string | number

/** How a (re)subscription started: see LiveSocketHandlers.subscribed. */
export interface SubscribedInfo {
  after: number
  head: number
  resumed: boolean
  recovered: boolean
}

export interface LiveSocketHandlers {
  /** An event of `stream`, each offset once and in order per stream. */
  event(stream: StreamName, e: LiveEventFrame): void
  /** Every other frame: signals, presence, answers, errors, unsubscribed. */
  frame(f: ServerFrame): void
  state(s: ConnectionState, detail?: string): void
  /**
   * A stream is streaming, from `after` (head: its last offset then). `resumed`: a re-subscription
   * (after a reconnect, a resync or a gap). `recovered`: every event after the cursor is coming,
   * nothing missed; false only when the server had fewer events than the client saw (its data was
   * reset) and the stream restarted at its head.
   */
  subscribed?(stream: StreamName, info: SubscribedInfo): void
  /** A new connection said hello and its subscriptions were asked for again: send what else must be restored. */
  live?(): void
  /** Look at a frame first; return true when it was yours (an answer to a frame you sent): it goes no further. */
  claim?(f: ServerFrame): boolean
}

export interface LiveSocketOptions {
  /** Called at each (re)connect, so a renewed token is picked up. */
  url: () => string
  /** The first listener (more may `attach` later). */
  handlers?: LiveSocketHandlers
  open?: (url: string) => SocketLike
  /**
   * The frame field that names a stream: `stream` on the platform endpoint (`/live/ws`, the
   * default), a system's own on its endpoint (`room` on `/chat/ws`).
   */
  field?: string
  /** Which frames are events (counted by offset); default `isEvent` of frames.ts. */
  isEvent?: (f: ServerFrame) => f is LiveEventFrame
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
