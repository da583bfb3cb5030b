/**
 * The chat system's environment variables (validated at boot with the platform's). Presence and the
 * node's name are the platform's now (`LIVE_PRESENCE_INTERVAL_MS`, `LIVE_NODE_ID`: platform/live).
 */
import { bool, int, optional, str, url } from '../../platform/settings.js'

export const settings = {
  CHAT_JWKS_URL: optional(
    url(['http', 'https'], {
      doc: 'verify bearer tokens with this JWKS (an external issuer such as the auth system); unset: the local key set',
    }),
  ),
  CHAT_TOKEN_ISSUER: str({
    default: 'blueprints-chat',
    maxLength: 500,
    doc: 'required `iss` of bearer tokens',
  }),
  CHAT_TOKEN_AUDIENCE: str({ default: 'chat', maxLength: 500, doc: 'required `aud` of bearer tokens' }),
  CHAT_DEV_TOKENS: bool({
    default: true,
    doc: 'serve POST /chat/tokens, the development issuer (a user name in, a token out); off in production',
  }),
  CHAT_TOKEN_TTL_S: int({ default: 86_400, min: 60, max: 31_536_000, doc: 'lifetime of dev-issued tokens' }),
  CHAT_MAX_MESSAGE_BYTES: int({
    default: 16_384,
    min: 64,
    max: 1_048_576,
    doc: 'largest message body (UTF-8)',
  }),
  CHAT_MAX_FRAME_BYTES: int({ default: 65_536, min: 1_024, max: 4_194_304, doc: 'largest client frame' }),
  CHAT_MESSAGES_PER_SECOND: int({
    default: 20,
    min: 1,
    max: 100_000,
    doc: 'writes per second per connection (token bucket, burst 2x)',
  }),
  CHAT_MAX_ROOMS_PER_USER: int({ default: 500, min: 1, max: 100_000, doc: 'rooms a user may belong to' }),
  CHAT_MAX_CONNECTIONS_PER_USER: int({
    default: 20,
    min: 1,
    max: 10_000,
    doc: 'open connections per user on one node',
  }),
  CHAT_SEND_BUFFER_BYTES: int({
    default: 1_048_576,
    min: 1_024,
    max: 268_435_456,
    doc: 'bytes queued to one connection before it is told to resync',
  }),
  CHAT_REPLAY_PAGE: int({ default: 500, min: 1, max: 10_000, doc: 'events read per query when replaying' }),
  CHAT_SWEEP_MS: int({
    default: 1_000,
    min: 50,
    max: 60_000,
    doc: 'how often a node compares its rooms with PostgreSQL to fill events the bus lost',
  }),
  CHAT_LONG_POLL_MS: int({ default: 25_000, min: 100, max: 120_000, doc: 'longest wait of a long poll' }),
  CHAT_SESSION_IDLE_MS: int({
    default: 60_000,
    min: 1_000,
    max: 3_600_000,
    doc: 'an SSE or long-poll session without a poll or stream for this long is closed',
  }),
  CHAT_PING_INTERVAL_MS: int({
    default: 25_000,
    min: 100,
    max: 300_000,
    doc: 'how often the server pings every WebSocket and SSE connection (a `ping` frame; a WebSocket also gets a protocol ping and is closed when it missed the previous pong); clients should reconnect after this plus 10 s of silence',
  }),
  CHAT_REVOCATION_SYNC_MS: int({
    default: 5_000,
    min: 50,
    max: 300_000,
    doc: 'how often a node reads token revocations from PostgreSQL (the Bus brings them at once; this brings what it lost)',
  }),
  CHAT_ADMIN_TOKEN: optional(
    str({
      maxLength: 500,
      doc: 'bearer token of POST /chat/admin/revocations (revoke any user); unset: the route answers 401',
    }),
  ),
} as const
