/**
 * A board as a live stream (`board.board.<id>` on the platform's `/live` endpoint, WebSocket,
 * SSE or long polling): the stream's offsets are the board's event versions, its history is the
 * event store itself (versions are dense and in commit order: events.sql explains why), and
 * members only may read it. A member removed stops receiving at the event that removed them.
 */
import type { LiveEvent, StreamKindSpec } from '../../platform/live/index.js'
import { BoardError } from './errors.js'
import type { EventStore } from './events/store.js'
import type { BoardEvent } from './events/types.js'

/** A board event as viewers receive it: the event type, the board, its version as `offset`. */
export interface LiveBoardEvent extends LiveEvent {
  v: 1
  type: BoardEvent['type']
  board: string
  offset: number
  position: number
  actor: string
  at: string
  data: BoardEvent['data']
}

const BOARD_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The wire form of a stored event. */
export function liveEvent(e: BoardEvent): LiveBoardEvent {
  return {
    v: 1,
    type: e.type,
    board: e.board,
    offset: e.version,
    position: e.position,
    actor: e.actor,
    at: e.at,
    data: e.data,
  }
}

export interface BoardStreamDeps {
  store: EventStore
  /** Throws the 404 when `user` is not a member of `board` (read from the aggregate). */
  member(user: string, board: string): Promise<void>
  sweepMs: number
}

export function boardStream(d: BoardStreamDeps): StreamKindSpec<LiveBoardEvent> {
  return {
    streamOf: (e) => e.board,
    parseId: (raw) => (BOARD_ID.test(raw) ? raw : undefined),
    authorize: (user, id) => d.member(user, id),
    history: {
      heads: (ids) => d.store.heads(ids),
      read: async (id, after, upTo, limit) =>
        (await d.store.readStream(id, after, upTo, limit)).map(liveEvent),
    },
    endsFor: (e) => (e.type === 'MemberRemoved' ? (e.data as { user: string }).user : undefined),
    sweepMs: d.sweepMs,
  }
}

export { BoardError }
