import { describe, expect, it } from 'vitest'
import type { Seat } from './api'
import { applyEvent, countStates, fromMap, markSeats, rowsOf } from './seat-map-state'

const seat = (section: string, row: string, number: number, state: Seat['state'] = 'free'): Seat => ({
  id: `${section}-${row}-${number}`,
  section,
  row,
  number,
  category: 'standard',
  price: 1000,
  accessible: false,
  state,
})

const map = () =>
  fromMap({
    showId: '7',
    offset: 3,
    seats: [seat('S', 'A', 2), seat('S', 'A', 1), seat('S', 'B', 1, 'sold'), seat('B', 'A', 1)],
  })

describe('seat map state', () => {
  it('applies an event: the seats take its state and hold, the offset moves on', () => {
    const s = applyEvent(
      map(),
      { type: 'seats', show: 7, offset: 4, state: 'held', seats: ['S-A-1'], hold: 'h1' },
      10,
    )
    expect(s.seats.find((x) => x.id === 'S-A-1')?.state).toBe('held')
    expect(s.seats.find((x) => x.id === 'S-A-2')?.state).toBe('free')
    expect(s.holdOf.get('S-A-1')).toBe('h1')
    expect(s.offset).toBe(4)
    const freed = applyEvent(
      s,
      { type: 'seats', show: 7, offset: 5, state: 'free', seats: ['S-A-1'], hold: 'h1', reason: 'expired' },
      11,
    )
    expect(freed.seats.find((x) => x.id === 'S-A-1')?.state).toBe('free')
    expect(freed.holdOf.has('S-A-1')).toBe(false)
    expect(countStates(freed.seats)).toEqual({ free: 3, held: 0, sold: 1 })
  })

  it("applying an event twice changes nothing more, and another show's event is ignored", () => {
    const e = {
      type: 'seats' as const,
      show: '7',
      offset: 4,
      state: 'sold' as const,
      seats: ['S-A-2'],
      hold: 'h2',
    }
    const once = applyEvent(map(), e, 1)
    const twice = applyEvent(once, e, 1)
    expect(twice.seats).toEqual(once.seats)
    expect(twice.offset).toBe(4)
    const other = applyEvent(once, { ...e, show: 8, seats: ['S-A-1'], offset: 9 }, 1)
    expect(other).toBe(once)
  })

  it('marks our own hold at once without moving the offset', () => {
    const s = markSeats(map(), 'h3', ['S-A-1', 'S-A-2'], 'held')
    expect(s.seats.filter((x) => x.state === 'held').map((x) => x.id)).toEqual(['S-A-2', 'S-A-1'])
    expect(s.offset).toBe(3)
  })

  it('groups seats by section and row in venue order, numbers ascending', () => {
    expect(rowsOf(map().seats).map((r) => [r.section, r.row, r.seats.map((x) => x.number)])).toEqual([
      ['S', 'A', [1, 2]],
      ['S', 'B', [1]],
      ['B', 'A', [1]],
    ])
  })
})
