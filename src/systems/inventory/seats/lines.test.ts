/**
 * The two lines, on each backend: the waitlist (freed seats offered to the first in line as a
 * hold of their own with a short TTL; booked on confirm; on release or expiry the next in line
 * is offered) and the virtual waiting room (past its capacity buyers wait with a position and an
 * estimated wait, are admitted in ticket order, and cannot hold seats before).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import {
  APP_TIMEOUT_MS,
  expectStatus,
  inventoryApp,
  type Json,
  simpleShow,
  states,
  type TestClient,
} from '../testing.js'

describe.each(backends())('waitlist (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, { INVENTORY_WAITLIST_OFFER_SECONDS: '300' })
  }, APP_TIMEOUT_MS)
  afterAll(() => c?.close())

  const entry = async (id: string, on = c): Promise<Json> =>
    expectStatus(await on.api('GET', `/waitlist/${id}`), 200)

  it('offers freed seats to the first in line, in order, each offer a short hold of its own', async () => {
    const show = await simpleShow(c, 1, 4)
    const all = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 4 }), 201)
    const join = async (seats: number) =>
      expectStatus(await c.api('POST', `/shows/${show}/waitlist`, { seats }), 201)
    const w1 = await join(2)
    const w2 = await join(2)
    const w3 = await join(1)
    expect([w1, w2, w3].map((w) => [w.state, w.position])).toEqual([
      ['waiting', 1],
      ['waiting', 2],
      ['waiting', 3],
    ])

    // The four seats come free: the first two in line get two each; the third waits.
    expectStatus(await c.api('DELETE', `/holds/${all.id}`), 204)
    await waitFor('both offered', async () => (await entry(w2.id)).state === 'offered', 30_000)
    const [o1, o2, e3] = [await entry(w1.id), await entry(w2.id), await entry(w3.id)]
    expect(o1.state).toBe('offered')
    expect([e3.state, e3.position]).toEqual(['waiting', 1])
    const h1 = expectStatus(await c.api('GET', `/holds/${o1.holdId}`), 200)
    const h2 = expectStatus(await c.api('GET', `/holds/${o2.holdId}`), 200)
    expect(h1.seats).toHaveLength(2)
    expect(h2.seats).toHaveLength(2)
    expect(new Set([...h1.seats, ...h2.seats]).size).toBe(4)
    // The offer's own short hold, not the default ten minutes.
    expect(Date.parse(h1.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000)
    expect([...(await states(c, show)).values()]).toEqual(['held', 'held', 'held', 'held'])

    // The first books; the second gives its offer up, so the third is offered.
    expectStatus(await c.api('POST', `/holds/${o1.holdId}/confirm`), 200)
    expect((await entry(w1.id)).state).toBe('booked')
    expectStatus(await c.api('DELETE', `/holds/${o2.holdId}`), 204)
    await waitFor('third offered', async () => (await entry(w3.id)).state === 'offered', 60_000)
    expect((await entry(w2.id)).state).toBe('lapsed')
    const h3 = expectStatus(await c.api('GET', `/holds/${(await entry(w3.id)).holdId}`), 200)
    expect(h3.seats).toHaveLength(1)
    expect(h2.seats).toContain(h3.seats[0])
    // Confirming a given-up offer is refused like any released hold.
    expect((await c.api('POST', `/holds/${o2.holdId}/confirm`)).statusCode).toBe(409)
  }, 120_000)

  it(
    'an offer nobody confirms lapses by its expiry job and goes to the next in line',
    async () => {
      const quick = await inventoryApp(backend, { INVENTORY_WAITLIST_OFFER_SECONDS: '1' })
      try {
        const show = await simpleShow(quick, 1, 1)
        expectStatus(await quick.api('POST', `/shows/${show}/holds`, { best: 1, ttlSeconds: 1 }), 201)
        const w1 = expectStatus(await quick.api('POST', `/shows/${show}/waitlist`, { seats: 1 }), 201)
        const w2 = expectStatus(await quick.api('POST', `/shows/${show}/waitlist`, { seats: 1 }), 201)
        expect([w1.state, w2.state]).toEqual(['waiting', 'waiting'])
        // The buyer's hold lapses: w1 is offered the seat for a second, lets it lapse, then w2.
        await waitFor('second offered', async () => (await entry(w2.id, quick)).holdId !== null, 90_000)
        const [e1, e2] = [await entry(w1.id, quick), await entry(w2.id, quick)]
        expect(e1.state).toBe('lapsed')
        expect(['offered', 'lapsed']).toContain(e2.state)
        expect(e1.holdId).not.toBe(e2.holdId)
        const h = expectStatus(await quick.api('GET', `/holds/${e1.holdId}`), 200)
        expect([h.seats, h.state]).toEqual([['S-A-1'], 'expired'])
        expect(expectStatus(await quick.api('GET', `/holds/${e2.holdId}`), 200).seats).toEqual(['S-A-1'])
      } finally {
        await quick.close()
      }
    },
    APP_TIMEOUT_MS,
  )

  it('offers at once when the seats are free; leaving releases an offer to the next', async () => {
    const show = await simpleShow(c, 1, 2)
    const w1 = expectStatus(await c.api('POST', `/shows/${show}/waitlist`, { seats: 2 }), 201)
    expect(w1.state).toBe('offered')
    const w2 = expectStatus(await c.api('POST', `/shows/${show}/waitlist`, { seats: 2 }), 201)
    expect([w2.state, w2.position]).toEqual(['waiting', 1])
    expectStatus(await c.api('DELETE', `/waitlist/${w1.id}`), 204)
    await waitFor('second offered', async () => (await entry(w2.id)).state === 'offered', 30_000)
    expect((await entry(w1.id)).state).toBe('lapsed')
    expectStatus(await c.api('DELETE', `/waitlist/${w1.id}`), 204)
  }, 60_000)

  it('refuses bad input with problem+json', async () => {
    const show = await simpleShow(c, 1, 2)
    for (const body of [
      { seats: 0 },
      { seats: -1 },
      { seats: 1.5 },
      { seats: 1000 },
      {},
      { seats: 1, x: 1 },
    ]) {
      const r = await c.api('POST', `/shows/${show}/waitlist`, body)
      expect(r.statusCode, JSON.stringify(body)).toBe(400)
      expect(r.headers['content-type']).toContain('application/problem+json')
    }
    expect((await c.api('POST', '/shows/999999/waitlist', { seats: 1 })).json().code).toBe(
      'INVENTORY_SHOW_NOT_FOUND',
    )
    expect((await c.api('GET', '/waitlist/w_nope')).json().code).toBe('INVENTORY_WAITLIST_NOT_FOUND')
    expect((await c.api('DELETE', '/waitlist/w_nope')).statusCode).toBe(404)
  }, 60_000)
})

describe.each(backends())('waiting room (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await inventoryApp(backend, { INVENTORY_WAITING_ROOM_CAPACITY: '2' })
  }, APP_TIMEOUT_MS)
  afterAll(() => c?.close())

  const hold = (show: string, ticket?: string) =>
    c.app.http.inject({
      method: 'POST',
      url: `/inventory/shows/${show}/holds`,
      headers: { 'content-type': 'application/json', ...(ticket && { 'queue-ticket': ticket }) },
      payload: JSON.stringify({ best: 1 }),
    })

  it('admits up to its capacity, then in ticket order with a position and an estimated wait', async () => {
    const show = await simpleShow(c, 1, 10)
    const none = await hold(show)
    expect([none.statusCode, none.json().code]).toEqual([429, 'INVENTORY_QUEUE_REQUIRED'])

    // Twelve buyers at once: exactly two admitted, the rest in line 1..10.
    const tickets: Json[] = await Promise.all(
      Array.from({ length: 12 }, async () => expectStatus(await c.api('POST', `/shows/${show}/queue`), 201)),
    )
    const looked: Json[] = await Promise.all(
      tickets.map(async (t) => expectStatus(await c.api('GET', `/queue/${t.ticket}`), 200)),
    )
    const admitted = looked.filter((t) => t.state === 'admitted')
    const waiting = looked.filter((t) => t.state === 'waiting')
    expect(admitted).toHaveLength(2)
    expect(waiting.map((t) => t.position).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const w of waiting) expect(w.estimatedWaitSeconds).toBeGreaterThan(0)

    const first = waiting.find((t) => t.position === 1)!
    const second = waiting.find((t) => t.position === 2)!
    const early = await hold(show, first.ticket)
    expect([early.statusCode, early.json().code]).toEqual([429, 'INVENTORY_QUEUE_WAITING'])
    expect((await hold(show, admitted[0].ticket)).statusCode).toBe(201)

    // One admitted buyer leaves: the first in line, and only it, comes in.
    expectStatus(await c.api('DELETE', `/queue/${admitted[0].ticket}`), 204)
    const now = expectStatus(await c.api('GET', `/queue/${first.ticket}`), 200)
    expect(now.state).toBe('admitted')
    expect(expectStatus(await c.api('GET', `/queue/${second.ticket}`), 200).position).toBe(1)
    expect((await hold(show, first.ticket)).statusCode).toBe(201)
    // A left ticket holds nothing any more; another show's ticket does not open this one.
    expect((await hold(show, admitted[0].ticket)).statusCode).toBe(429)
    const other = await simpleShow(c, 1, 2)
    const foreign = expectStatus(await c.api('POST', `/shows/${other}/queue`), 201)
    expect((await hold(show, foreign.ticket)).statusCode).toBe(429)
    expect((await c.api('GET', '/queue/q_nope')).json().code).toBe('INVENTORY_TICKET_NOT_FOUND')
    expect((await c.api('POST', '/shows/999999/queue')).statusCode).toBe(404)
  }, 120_000)
})
