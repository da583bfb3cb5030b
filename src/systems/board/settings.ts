/** The board system's environment variables (validated at boot with the platform's). */
import { tokenSettings } from '../../platform/auth/index.js'
import { bool, int, optional, str } from '../../platform/settings.js'

export const settings = {
  ...tokenSettings,
  BOARD_DEV_TOKENS: bool({
    default: true,
    doc: 'serve POST /board/tokens, the development issuer (a user name in, a token out); off in production, where the auth system’s access tokens are used',
  }),
  BOARD_TOKEN_TTL_S: int({ default: 86_400, min: 60, max: 31_536_000, doc: 'lifetime of dev-issued tokens' }),
  BOARD_COMMAND_ATTEMPTS: int({
    default: 8,
    min: 1,
    max: 100,
    doc: 'times a command without If-Match is decided again after losing a version race before it answers 409',
  }),
  BOARD_SNAPSHOT_EVERY: int({
    default: 200,
    min: 10,
    max: 1_000_000,
    doc: 'store an aggregate snapshot every N versions of a board',
  }),
  BOARD_CACHE_BOARDS: int({
    default: 1_000,
    min: 1,
    max: 1_000_000,
    doc: 'board aggregates kept in memory per process',
  }),
  BOARD_PROJECTOR: bool({
    default: true,
    doc: 'run the projector in this process (any number of processes may)',
  }),
  BOARD_PROJECTOR_BATCH: int({
    default: 500,
    min: 1,
    max: 10_000,
    doc: 'events applied per projector transaction',
  }),
  BOARD_PROJECTOR_POLL_MS: int({
    default: 200,
    min: 10,
    max: 60_000,
    doc: 'how often the projector looks for events written by other processes (this process wakes it at once)',
  }),
  BOARD_READ_WAIT_MS: int({
    default: 5_000,
    min: 0,
    max: 60_000,
    doc: 'longest wait of a query for `minVersion` (read-your-writes) before it answers 503',
  }),
  BOARD_MAX_LISTS: int({ default: 200, min: 1, max: 100_000, doc: 'lists per board' }),
  BOARD_MAX_CARDS: int({
    default: 5_000,
    min: 1,
    max: 1_000_000,
    doc: 'cards per board (archived included)',
  }),
  BOARD_MAX_MEMBERS: int({ default: 500, min: 1, max: 100_000, doc: 'members per board' }),
  BOARD_MAX_ITEMS_PER_CARD: int({
    default: 100,
    min: 1,
    max: 10_000,
    doc: 'labels, checklist items or attachments per card',
  }),
  BOARD_SWEEP_MS: int({
    default: 1_000,
    min: 50,
    max: 60_000,
    doc: 'how often a node compares the boards it streams with the log to fill events the Bus lost',
  }),
  BOARD_YJS_MAX_MESSAGE_BYTES: int({
    default: 1_048_576,
    min: 1_024,
    max: 67_108_864,
    doc: 'largest y-websocket message a client may send (a larger one closes its socket with 4413)',
  }),
  BOARD_YJS_MAX_DOC_BYTES: int({
    default: 4_194_304,
    min: 1_024,
    max: 268_435_456,
    doc: 'largest stored card description (Yjs state, bytes): updates past it are refused with 4413',
  }),
  BOARD_YJS_COMPACT_EVERY: int({
    default: 500,
    min: 2,
    max: 1_000_000,
    doc: 'merge a document’s stored updates into one after this many',
  }),
  BOARD_ADMIN_TOKEN: optional(
    str({
      maxLength: 500,
      doc: 'bearer token of /board/admin/* (rebuild the views); unset: those routes answer 401',
    }),
  ),
} as const
