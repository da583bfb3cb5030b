/**
 * Room signals as chat nodes sent them before the transport became platform/live:
 * one frame per message on `chat.eph.<room>` (typing, receipt, room-deleted),
 * where the platform now sends `{ frame, except, end }` on
 * `live.signal.chat.room.<room>`. While LIVE_LEGACY_SUBJECTS is on, a node
 * speaks both, so old and new nodes show each other's typing indicators and
 * receipts, and unsubscribe a deleted room's readers, during a rolling deploy.
 */
import type { BusSignal, LegacySignals } from '../../platform/live/index.js'

interface OldFrame {
  v: 1
  type: string
  room: number
  user: string
  [key: string]: unknown
}

export const legacyRoomSignals: LegacySignals = {
  subject: 'chat.eph',
  encode(id: string, signal: BusSignal): OldFrame | undefined {
    // An old node unsubscribed a room's readers on `room-deleted`; its other frames were sent as they are.
    if (signal.end !== undefined) return { v: 1, type: 'room-deleted', room: Number(id), user: '' }
    return signal.frame as OldFrame
  },
  decode(id: string, data: unknown): BusSignal | undefined {
    const f = data as Partial<OldFrame> | null
    if (typeof f !== 'object' || f === null || typeof f.type !== 'string' || String(f.room) !== id)
      return undefined
    if (f.type === 'room-deleted') return { frame: {}, end: 'deleted' }
    // An old node's listeners skipped the typist's own connections, as `except` does.
    if (f.type === 'typing' && typeof f.user === 'string') return { frame: f, except: f.user }
    return { frame: f }
  },
}
