/** The environment variables of the live streams (the platform's, validated at boot with the rest). */
import { bool, int, optional, str } from '../settings.js'

/**
 * Variables chat read before its transport became this library, and their new names: still read,
 * with a warning at start (`parseSettingsRenamed`), so an upgrade keeps its settings.
 */
export const LIVE_RENAMED = {
  CHAT_NODE_ID: 'LIVE_NODE_ID',
  CHAT_PRESENCE_INTERVAL_MS: 'LIVE_PRESENCE_INTERVAL_MS',
} as const

export const liveSettings = {
  LIVE_NODE_ID: optional(
    str({
      maxLength: 64,
      doc: 'this node in presence announcements and the session registry (default: random)',
    }),
  ),
  LIVE_PRESENCE_INTERVAL_MS: int({
    default: 5_000,
    min: 100,
    max: 300_000,
    doc: 'how often a node announces its online users; 3 missed announcements mark them offline',
  }),
  LIVE_LEGACY_SUBJECTS: bool({
    default: true,
    doc: 'also speak the Bus subjects of chat before platform/live (chat.presence, chat.eph.*), so nodes of both versions work side by side during a rolling deploy; set false once every node runs this version',
  }),
  LIVE_PING_INTERVAL_MS: int({
    default: 25_000,
    min: 100,
    max: 300_000,
    doc: 'heartbeat of the platform endpoint (`/live`): a `ping` frame on every WebSocket and SSE connection',
  }),
  LIVE_LONG_POLL_MS: int({ default: 25_000, min: 100, max: 120_000, doc: 'longest long poll on `/live`' }),
  LIVE_SESSION_IDLE_MS: int({
    default: 60_000,
    min: 1_000,
    max: 3_600_000,
    doc: 'a `/live` SSE or long-poll session without a poll or stream for this long is closed',
  }),
  LIVE_SEND_BUFFER_BYTES: int({
    default: 1_048_576,
    min: 1_024,
    max: 268_435_456,
    doc: 'bytes queued to one `/live` connection before it is told to resync',
  }),
  LIVE_MAX_FRAME_BYTES: int({
    default: 65_536,
    min: 1_024,
    max: 4_194_304,
    doc: 'largest client frame on `/live`',
  }),
  LIVE_MAX_CONNECTIONS_PER_USER: int({
    default: 20,
    min: 1,
    max: 10_000,
    doc: 'open `/live` connections per user on one node',
  }),
} as const
