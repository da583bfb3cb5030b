/** The chat system's Prometheus metrics, read from plain counters at scrape time (nothing hashed per frame). */
import type { LiveEndpoint, Presence, StreamKind } from '../../platform/live/index.js'
import type { Registry } from '../../platform/telemetry/metrics.js'
import { scrapedCounter, scrapedGauge } from '../../platform/telemetry/scraped.js'
import type { RoomEvent } from './protocol.js'
import type { MessageWriter } from './writer.js'

/**
 * Register the chat metrics on `registry`: chat's endpoint (`/chat/ws`, `/chat/sse`, the
 * sessions), the room stream kind's feeds on this node, presence and the writer.
 */
export function chatMetrics(
  registry: Registry,
  endpoint: LiveEndpoint,
  room: StreamKind<RoomEvent>,
  presence: Presence,
  writer: MessageWriter,
): void {
  const { hub, frames, shared } = endpoint
  const fanout = room.fanout
  const counter = (name: string, help: string, read: () => number) =>
    scrapedCounter(registry, name, help, read)
  const gauge = (name: string, help: string, read: () => number) => scrapedGauge(registry, name, help, read)
  gauge('chat_connections', 'Open chat connections on this node (all transports)', () => hub.all.size)
  gauge('chat_online_users', 'Users with a connection on this node', () => presence.localUsers)
  gauge('chat_rooms_live', 'Rooms with listeners on this node', () => fanout.streamCount)
  counter('chat_connections_opened_total', 'Chat connections opened on this node', () => hub.opened)
  counter('chat_frames_total', 'Client frames received', () => frames.counters.frames)
  counter(
    'chat_frame_errors_total',
    'Client frames answered with an error frame',
    () => frames.counters.errors,
  )
  counter(
    'chat_rate_limited_total',
    'Writes refused by the per-connection rate limit',
    () => frames.counters.rateLimited,
  )
  counter(
    'chat_resyncs_total',
    'Slow consumers whose send buffer overflowed and were told to resync from their offset',
    () => hub.resyncs,
  )
  counter(
    'chat_gap_fills_total',
    'Room event gaps filled from PostgreSQL (out-of-order bus delivery)',
    () => fanout.stats.gapFills,
  )
  counter(
    'chat_sweep_fills_total',
    'Room events the bus never delivered, found by the periodic sweep',
    () => fanout.stats.sweepFills,
  )
  // Their quotient is the mean group-commit size: how much each database call carries.
  counter('chat_commit_calls_total', 'Group-commit calls to the database (writer.ts)', () => writer.batches)
  counter('chat_messages_written_total', 'Messages stored by group commit', () => writer.written)
  counter(
    'chat_commit_splits_total',
    'Group commits split in two because one item could not be stored (it then fails alone)',
    () => writer.splits,
  )
  counter(
    'chat_session_takeovers_total',
    'Long-poll sessions taken over from another node by a poll that landed here (platform/live session-share.ts)',
    () => shared.takeovers,
  )
  counter(
    'chat_session_frames_relayed_total',
    'Frames relayed over the Bus for sessions held by another node, both ways (platform/live session-relay.ts)',
    () => shared.relay.relayed,
  )
}
