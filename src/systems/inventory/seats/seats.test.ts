/**
 * The seat API as a buyer uses it, on each reservation strategy: venues and shows, the seat map,
 * holds all or nothing (409 naming the taken seats), confirm exactly once, release, best available,
 * and holds that expire by their job or, before it runs, at read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { STRATEGIES } from '../settings.js'
import {
  APP_TIMEOUT_MS,
  expectStatus,
  inventoryApp,
  seatStore,
  simpleShow,
  states,
  type TestClient,
} from '../testing.js'

const cases = backends().flatMap((b) => STRATEGIES.map((s) => [b, s] as const))

describe.each(cases)('seats (%s, %s)', (backend, strategy) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, { INVENTORY_STRATEGY: strategy })
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('creates a venue and a show whose seats are all free', async () => {
    const venue = expectStatus(
      await c.api('POST', '/venues', {
        name: 'Hall',
        sections: [
          {
            name: 'Stalls',
            category: 'premium',
            price: 5000,
            rows: [{ name: 'A', seats: 3, accessible: [1] }],
          },
          {
            name: 'Balcony',
            price: 2000,
            rows: [
              { name: 'A', seats: 2 },
              { name: 'B', seats: 2, price: 1500 },
            ],
          },
        ],
      }),
      201,
    )
    expect(venue.seats).toBe(7)
    const show = expectStatus(
      await c.api('POST', '/shows', { venueId: venue.id, startsAt: '2027-05-01T19:30:00Z' }),
      201,
    )
    const map = expectStatus(await c.api('GET', `/shows/${show.id}/seats`), 200)
    expect(map.offset).toBe(0)
    expect(map.seats.map((s: { id: string }) => s.id)).toEqual([
      'Stalls-A-1',
      'Stalls-A-2',
      'Stalls-A-3',
      'Balcony-A-1',
      'Balcony-A-2',
      'Balcony-B-1',
      'Balcony-B-2',
    ])
    expect(map.seats[0]).toEqual({
      id: 'Stalls-A-1',
      section: 'Stalls',
      row: 'A',
      number: 1,
      category: 'premium',
      price: 5000,
      accessible: true,
      state: 'free',
    })
    expect(map.seats[5]).toMatchObject({ category: 'standard', price: 1500, accessible: false })
    expect(map.seats.every((s: { state: string }) => s.state === 'free')).toBe(true)
  })

  it('holds seats all or nothing and names the taken ones in a 409', async () => {
    const show = await simpleShow(c, 1, 6)
    const before = Date.now()
    const res = await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-2', 'S-A-1'] })
    const hold = expectStatus(res, 201)
    expect(hold.id).toMatch(/^h_[A-Za-z0-9_-]{16}$/)
    expect(hold.seats).toEqual(['S-A-1', 'S-A-2'])
    const expires = Date.parse(hold.expiresAt)
    expect(expires).toBeGreaterThan(before + 590_000)
    expect(expires).toBeLessThan(Date.now() + 610_000)

    const clash = await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-3', 'S-A-2'] })
    expect(clash.statusCode).toBe(409)
    expect(clash.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(clash.json()).toMatchObject({ code: 'INVENTORY_SEATS_TAKEN', seats: ['S-A-2'] })
    // Nothing of the refused hold stayed: S-A-3 is still free.
    const s = await states(c, show)
    expect([s.get('S-A-1'), s.get('S-A-2'), s.get('S-A-3')]).toEqual(['held', 'held', 'free'])
    const view = expectStatus(await c.api('GET', `/holds/${hold.id}`), 200)
    expect(view).toMatchObject({
      id: hold.id,
      showId: show,
      seats: ['S-A-1', 'S-A-2'],
      state: 'active',
      orderId: null,
    })
  })

  it('confirms a hold exactly once into an order, and release frees seats', async () => {
    const show = await simpleShow(c, 1, 6)
    const hold = expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-5', 'S-A-6'] }), 201)
    const order = expectStatus(await c.api('POST', `/holds/${hold.id}/confirm`), 200)
    expect(order.orderId).toMatch(/^o_/)
    expect(order.amount).toBe(2000)
    const again = await c.api('POST', `/holds/${hold.id}/confirm`)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'INVENTORY_HOLD_CONFIRMED', orderId: order.orderId })
    expect((await c.api('DELETE', `/holds/${hold.id}`)).json()).toMatchObject({
      code: 'INVENTORY_HOLD_CONFIRMED',
    })
    expect((await states(c, show)).get('S-A-6')).toBe('sold')
    const sold = await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-6'] })
    expect(sold.json()).toMatchObject({ code: 'INVENTORY_SEATS_TAKEN', seats: ['S-A-6'] })

    const other = expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-1'] }), 201)
    expect((await c.api('DELETE', `/holds/${other.id}`)).statusCode).toBe(204)
    expect((await c.api('DELETE', `/holds/${other.id}`)).statusCode).toBe(204)
    expect((await states(c, show)).get('S-A-1')).toBe('free')
    expect(expectStatus(await c.api('GET', `/holds/${other.id}`), 200).state).toBe('released')
    const confirmReleased = await c.api('POST', `/holds/${other.id}/confirm`)
    expect(confirmReleased.json()).toMatchObject({ code: 'INVENTORY_HOLD_RELEASED' })
    expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-1'] }), 201)
  })

  it('holds the best N together near the centre of the best row', async () => {
    const show = await simpleShow(c, 2, 10)
    const first = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 3 }), 201)
    expect(first.seats).toEqual(['S-A-4', 'S-A-5', 'S-A-6'])
    // Row A now has 3 free on the left and 4 on the right: 4 fit only on the right, leaving none.
    const second = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 4 }), 201)
    expect(second.seats).toEqual(['S-A-7', 'S-A-8', 'S-A-9', 'S-A-10'])
    // 2 of the 3 on the left would strand one: row B instead.
    const third = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 2 }), 201)
    expect(third.seats).toEqual(['S-B-5', 'S-B-6'])
    const none = await c.api('POST', `/shows/${show}/holds`, { best: 9 })
    expect(none.statusCode).toBe(409)
    expect(none.json()).toMatchObject({ code: 'INVENTORY_NOT_ENOUGH_SEATS', best: 9 })
  })

  it('expires a hold by its job: seats free, confirm refused', async () => {
    const show = await simpleShow(c, 1, 4)
    const hold = expectStatus(
      await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-1'], ttlSeconds: 1 }),
      201,
    )
    const store = seatStore(c)
    await waitFor('the expiry job', async () => (await store.getHold(hold.id))?.state === 'expired', 20_000)
    expect((await states(c, show)).get('S-A-1')).toBe('free')
    const late = await c.api('POST', `/holds/${hold.id}/confirm`)
    expect(late.statusCode).toBe(409)
    expect(late.json()).toMatchObject({ code: 'INVENTORY_HOLD_EXPIRED' })
  })
})

describe.each(backends())('hold expiry at read, with no job running (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, {}, { startWorkers: false })
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('a lapsed hold never confirms, and its seats can be held again', async () => {
    const show = await simpleShow(c, 1, 4)
    const hold = expectStatus(
      await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-2', 'S-A-3'], ttlSeconds: 1 }),
      201,
    )
    await waitFor('the hold to lapse', async () => (await states(c, show)).get('S-A-2') === 'free', 20_000)
    expect((await seatStore(c).getHold(hold.id))?.state).toBe('active')
    expect(expectStatus(await c.api('GET', `/holds/${hold.id}`), 200).state).toBe('expired')
    expect((await c.api('POST', `/holds/${hold.id}/confirm`)).json()).toMatchObject({
      code: 'INVENTORY_HOLD_EXPIRED',
    })
    const next = expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-3'] }), 201)
    expect(next.seats).toEqual(['S-A-3'])
    // The late job (run here by hand) ends the old hold and frees only the seat nobody took over.
    expect(await expireByJob(c, hold.id)).toEqual({ freed: 1 })
    const s = await states(c, show)
    expect([s.get('S-A-2'), s.get('S-A-3')]).toEqual(['free', 'held'])
    expect((await c.api('POST', `/holds/${next.id}/confirm`)).statusCode).toBe(200)
  })
})

/** Run the expiry task's handler for `hold` as the worker would. */
async function expireByJob(c: TestClient, hold: string): Promise<unknown> {
  const sys = c.app.systems.find((s) => s.definition.name === 'inventory')!
  const task = sys.instance.tasks!['inventory.expire-hold']!
  return task.handler({ hold }, {} as never)
}
