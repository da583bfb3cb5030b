/**
 * The live seat map on platform/live: each show is a stream (`inventory.seats.<show>`) whose
 * events are the seat_events rows (dense offsets, taken under the show's counter row), and the
 * system's own endpoint `/inventory/live/{ws,sse,sessions}` names a show `"show": 5`. A seat map
 * is public, so the endpoint takes any token (`access_token=anonymous`; the platform's transports
 * want one, or an `auth` frame) and makes each connection an anonymous viewer (one per token for
 * any token but `anonymous`, so SSE and long polling find their session again): no
 * token of another system is needed, and none gets a viewer anything but public seat maps, since
 * this endpoint carries only this kind.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../../platform/db/port.js'
import { kindAddressing } from '../../../platform/live/addressing.js'
import type { SystemLive } from '../../../platform/live/live.js'
import { SeatErrors } from './errors.js'
import type { SeatEvent } from './ports.js'
import type { SeatStore } from './store.pg.js'

const ANONYMOUS_LIFETIME_MS = 24 * 3_600_000

/** Declare the seat-map stream kind and its endpoint; `publish` hands committed events to viewers. */
export function seatMapLive(live: SystemLive, store: SeatStore, db: Db) {
  const kind = live.stream<SeatEvent>('seats', {
    streamOf: (e) => String(e.show),
    parseId: (raw) => (/^[1-9]\d{0,15}$/.test(raw) ? raw : undefined),
    async authorize(_user, id) {
      if (!(await store.showExists(id))) throw SeatErrors.showNotFound(id)
    },
    history: {
      heads: (ids) => store.heads(ids),
      read: (id, after, upTo, limit) => store.events(id, after, upTo, limit),
    },
  })
  const endpoint = live.endpoint({
    name: 'inventory',
    codePrefix: 'INVENTORY_LIVE',
    addressing: kindAddressing(kind, { field: 'show', plural: 'shows', noun: 'show', numeric: true }),
    // Public seat maps. `anonymous` (or no token): a viewer of its own per authentication, enough
    // for a WebSocket. Any other token names its viewer (hashed), so the HTTP transports, which
    // authenticate every request, find their session again: an SSE or long-poll client sends a
    // random token of its own.
    authenticate: async (token) => ({
      user:
        token === undefined || token === 'anonymous'
          ? `viewer-${randomBytes(9).toString('base64url')}`
          : `viewer-${createHash('sha256').update(token).digest('base64url').slice(0, 16)}`,
      expiresAt: Date.now() + ANONYMOUS_LIFETIME_MS,
      issuedAt: undefined,
      jti: undefined,
    }),
    db,
    limits: { maxFrameBytes: 16_384 },
    maxFrameBytes: 16_384,
    maxConnectionsPerUser: 4,
    sendBufferBytes: 1_048_576,
    pingIntervalMs: 25_000,
    longPollMs: 25_000,
    sessionIdleMs: 60_000,
  })
  return { kind, endpoint, publish: (events: SeatEvent[]) => kind.publish(events) }
}
