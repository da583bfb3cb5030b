// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { json, problem, stubFetch } from '../../testing/fake-server'
import { FakeSocket } from '../chat/fake-socket'
import type { Seat } from './api'
import InventoryPage from './page'

const system = { name: 'inventory', description: 'Seats and stock' }
const seat = (row: string, number: number, state: Seat['state'] = 'free'): Seat => ({
  id: `Stalls-${row}-${number}`,
  section: 'Stalls',
  row,
  number,
  category: 'premium',
  price: 5000,
  accessible: false,
  state,
})
const seats = [seat('A', 1), seat('A', 2), seat('A', 3), seat('B', 1, 'sold'), seat('B', 2)]

/** Every WebSocket the page opens, newest last (the live client calls `new WebSocket(url)`). */
let sockets: FakeSocket[] = []

beforeEach(() => {
  sockets = []
  vi.stubGlobal(
    'WebSocket',
    class extends FakeSocket {
      constructor(url: string) {
        super(url)
        sockets.push(this)
      }
    },
  )
  localStorage.clear()
})

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const seatButton = (id: string) => document.querySelector<HTMLButtonElement>(`button[data-seat="${id}"]`)!

describe('inventory page', () => {
  it("shows the map, applies others' holds live, holds picked seats, counts down and confirms", async () => {
    localStorage.setItem('blueprints.inventory.show', '7')
    const fetch = stubFetch({
      '/inventory/shows/7/seats': () => json({ showId: '7', offset: 4, seats }),
      '/inventory/shows/7/holds': () =>
        json(
          {
            id: 'h_me',
            seats: ['Stalls-A-1', 'Stalls-A-2'],
            expiresAt: new Date(Date.now() + 95_000).toISOString(),
          },
          201,
        ),
      '/inventory/holds/h_me/confirm': () => json({ orderId: 'o_1', amount: 10000 }),
    })
    render(<InventoryPage system={system} />)
    await waitFor(() =>
      expect(screen.getByTestId('seat-counts').textContent).toBe('4 free, 0 held, 1 sold of 5 seats'),
    )
    expect(seatButton('Stalls-B-1').disabled).toBe(true)

    // The live stream: the public endpoint, subscribed to show 7 from the map's offset.
    // The socket opens in an effect after the map renders: wait for it rather than assume it is there.
    await waitFor(() => expect(sockets.length).toBeGreaterThan(0))
    const ws = sockets.at(-1)!
    expect(ws.url).toMatch(/\/inventory\/live\/ws\?access_token=anonymous&v=2$/)
    act(() => ws.open('viewer-1'))
    expect(ws.ofType('subscribe')).toEqual([{ v: 1, type: 'subscribe', show: 7, after: 4, id: 'sub-7' }])
    act(() => ws.frame({ type: 'subscribed', show: 7, after: 4, head: 4 }))
    await waitFor(() => expect(screen.getByTestId('stream-state').textContent).toContain('live'))

    // Someone else holds A-3: it turns held and cannot be picked; an already-seen offset is dropped.
    act(() =>
      ws.frame({
        type: 'seats',
        show: 7,
        offset: 5,
        state: 'held',
        seats: ['Stalls-A-3'],
        hold: 'h_other',
        reason: 'held',
      }),
    )
    act(() =>
      ws.frame({ type: 'seats', show: 7, offset: 4, state: 'sold', seats: ['Stalls-B-2'], hold: 'h_x' }),
    )
    expect(seatButton('Stalls-A-3').dataset.look).toBe('held')
    expect(seatButton('Stalls-A-3').disabled).toBe(true)
    expect(seatButton('Stalls-B-2').dataset.look).toBe('free')

    fireEvent.click(seatButton('Stalls-A-1'))
    fireEvent.click(seatButton('Stalls-A-2'))
    expect(seatButton('Stalls-A-1').getAttribute('aria-pressed')).toBe('true')
    fireEvent.click(screen.getByRole('button', { name: 'Hold 2 selected' }))
    await waitFor(() => expect(seatButton('Stalls-A-1').dataset.look).toBe('mine'))
    const sent = fetch.mock.calls.find((c) => String(c[0]).endsWith('/holds'))![1]!
    expect(JSON.parse(String(sent.body))).toEqual({ seats: ['Stalls-A-1', 'Stalls-A-2'] })
    const hold = within(screen.getByRole('list', { name: 'Your holds' }))
      .getByText('Stalls-A-1, Stalls-A-2')
      .closest('li')!
    expect(within(hold).getByTestId('countdown').textContent).toMatch(/^expires in 1:[0-3]\d$/)

    fireEvent.click(within(hold).getByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(hold.dataset.state).toBe('confirmed'))
    expect(hold.textContent).toContain('order o_1')
    expect(hold.textContent).toContain('paid 100.00')
    expect(seatButton('Stalls-A-1').dataset.look).toBe('mine-sold')
    // The hold survives a reload of the page (this browser's list).
    expect(JSON.parse(localStorage.getItem('blueprints.inventory.holds.7')!)[0]).toMatchObject({
      id: 'h_me',
      state: 'confirmed',
    })
  })

  it('says which seats someone else took when a hold is refused', async () => {
    localStorage.setItem('blueprints.inventory.show', '7')
    stubFetch({
      '/inventory/shows/7/seats': () => json({ showId: '7', offset: 0, seats }),
      '/inventory/shows/7/holds': () =>
        problem(409, {
          title: 'Conflict',
          detail: 'seats taken',
          code: 'INVENTORY_SEATS_TAKEN',
          seats: ['Stalls-A-2'],
        }),
    })
    render(<InventoryPage system={system} />)
    await waitFor(() => expect(seatButton('Stalls-A-2')).toBeTruthy())
    fireEvent.click(seatButton('Stalls-A-2'))
    fireEvent.click(screen.getByRole('button', { name: 'Hold 1 selected' }))
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'Someone else has Stalls-A-2 now. Pick other seats.',
      ),
    )
  })

  it('creates a demo show through the public API and opens it', async () => {
    const fetch = stubFetch({
      '/inventory/venues': () => json({ id: '3', seats: 68 }, 201),
      '/inventory/shows': () => json({ id: '12' }, 201),
      '/inventory/shows/12/seats': () => json({ showId: '12', offset: 0, seats }),
    })
    render(<InventoryPage system={system} />)
    fireEvent.click(screen.getByRole('button', { name: 'Create a demo show' }))
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Show 12' })).toBeTruthy())
    const show = fetch.mock.calls.find((c) => String(c[0]) === '/inventory/shows')![1]!
    expect(JSON.parse(String(show.body)).venueId).toBe('3')
    expect(localStorage.getItem('blueprints.inventory.show')).toBe('12')
  })

  it('shows stock levels per location, and the refusal for an unknown SKU', async () => {
    localStorage.setItem('blueprints.inventory.sku', 'TEE-1')
    stubFetch({
      '/inventory/stock/TEE-1': () =>
        json({
          sku: 'TEE-1',
          locations: [
            { location: 'east', onHand: 40, reserved: 3, available: 37 },
            { location: 'west', onHand: 12, reserved: 0, available: 12 },
          ],
        }),
      '/inventory/stock/NOPE': () => problem(422, { title: 'Unprocessable', detail: 'unknown SKUs: NOPE' }),
    })
    render(<InventoryPage system={system} />)
    await waitFor(() => expect(document.querySelector('tr[data-location="east"]')).not.toBeNull())
    expect(document.querySelector('tr[data-location="east"]')!.textContent).toBe('east40337')
    fireEvent.change(screen.getByLabelText('SKU'), { target: { value: 'NOPE' } })
    fireEvent.click(screen.getByRole('button', { name: 'Show levels' }))
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('unknown SKUs: NOPE'))
  })
})
