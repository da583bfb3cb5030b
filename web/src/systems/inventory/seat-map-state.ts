/**
 * The seat map as the page holds it: the map read over HTTP, then every live event applied in
 * offset order. Events carry the seats' new state (not a difference), so applying one that the
 * read already showed changes nothing; the live client drops offsets at or below the read's.
 * Which holds are this browser's is known only here (the public map never says whose a hold is).
 */
import type { Seat, SeatMap, SeatState } from './api'

/** A `seats` event of the show's live stream (README: Live seat map). */
export interface SeatEvent {
  type: 'seats'
  show: number | string
  offset: number
  state: SeatState
  seats: string[]
  hold?: string
  reason?: 'held' | 'sold' | 'released' | 'expired' | string
}

export interface SeatMapState {
  showId: string
  /** The newest offset applied (the read's, then each event's). */
  offset: number
  seats: Seat[]
  /** The hold each held or sold seat belongs to, when an event said so. */
  holdOf: Map<string, string>
  /** Held by someone else since this page opened: seat id -> when it was seen (for a short highlight). */
  changedAt: Map<string, number>
}

/** The state right after reading `map`. */
export function fromMap(map: SeatMap): SeatMapState {
  return { showId: map.showId, offset: map.offset, seats: map.seats, holdOf: new Map(), changedAt: new Map() }
}

/** The state with `e` applied (`now`: when it arrived). An event of another show is ignored. */
export function applyEvent(s: SeatMapState, e: SeatEvent, now: number): SeatMapState {
  if (String(e.show) !== s.showId) return s
  const ids = new Set(e.seats)
  const seats = s.seats.map((seat) => (ids.has(seat.id) ? { ...seat, state: e.state } : seat))
  const holdOf = new Map(s.holdOf)
  const changedAt = new Map(s.changedAt)
  for (const id of ids) {
    if (e.state === 'free' || !e.hold) holdOf.delete(id)
    else holdOf.set(id, e.hold)
    changedAt.set(id, now)
  }
  return { ...s, offset: Math.max(s.offset, e.offset), seats, holdOf, changedAt }
}

/**
 * The state with `seatIds` set to `state` by our own `hold` at once (its answer came back; its
 * event may come later and then changes nothing). The offset stays: only events move it.
 */
export function markSeats(s: SeatMapState, hold: string, seatIds: string[], state: SeatState): SeatMapState {
  return applyEvent(s, { type: 'seats', show: s.showId, offset: s.offset, state, seats: seatIds, hold }, 0)
}

export interface SeatRow {
  section: string
  row: string
  seats: Seat[]
}

/** Seats grouped by section and row, in the venue's order (best first), numbers ascending. */
export function rowsOf(seats: Seat[]): SeatRow[] {
  const rows = new Map<string, SeatRow>()
  for (const seat of seats) {
    const key = `${seat.section}\u0000${seat.row}`
    let r = rows.get(key)
    if (!r) {
      r = { section: seat.section, row: seat.row, seats: [] }
      rows.set(key, r)
    }
    r.seats.push(seat)
  }
  for (const r of rows.values()) r.seats.sort((a, b) => a.number - b.number)
  return [...rows.values()]
}

/** Counts per state, for the map's caption. */
export function countStates(seats: Seat[]): Record<SeatState, number> {
  const c: Record<SeatState, number> = { free: 0, held: 0, sold: 0 }
  for (const s of seats) c[s.state]++
  return c
}

/** A minor-unit price as `50.00`. */
export function formatPrice(minor: number): string {
  return (minor / 100).toFixed(2)
}
