/**
 * The live seat map: two viewers of a show on /inventory/live/ws (any token: seat maps are public)
 * see a hold appear, then the sale and a release, each change once, in order; a viewer who joins
 * later with `after` = the offset of its seat-map read gets every later change, and one from 0
 * the whole history. A missing show is refused naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { type LiveJson, LiveWsClient } from '../../../platform/testing/live.js'
import { waitFor } from '../../../platform/testing/wait.js'
import {
  APP_TIMEOUT_MS,
  expectStatus,
  inventoryApp,
  type Json,
  simpleShow,
  type TestClient,
} from '../testing.js'

const PATH = '/inventory/live/ws'
/** Any token: the endpoint takes every connection as an anonymous viewer. */
const VIEWER = 'anonymous'

/** The seat events a client received for `show`, batches unpacked. */
function seatEvents(c: LiveWsClient, show: number): LiveJson[] {
  return c.frames
    .flatMap((f) => (f.type === 'batch' ? f.events : [f]))
    .filter((f: LiveJson) => f.type === 'seats' && f.show === show)
}

describe.each(backends())('live seat map (%s)', (backend) => {
  let c: TestClient
  let url: string
  beforeAll(async () => {
    c = await inventoryApp(backend)
    await c.app.http.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(c.app.http.server.address() as { port: number }).port}`
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  it('a viewer sees another buyer’s hold appear, then the sale and a release', async () => {
    const show = Number(await simpleShow(c, 1, 8))
    const read = expectStatus(await c.api('GET', `/shows/${show}/seats`), 200)
    const viewers = await Promise.all([
      LiveWsClient.connect(url, VIEWER, { path: PATH }),
      LiveWsClient.connect(url, VIEWER, { path: PATH, v: 2 }),
    ])
    try {
      for (const v of viewers)
        expect(await v.request({ type: 'subscribe', show, after: read.offset })).toMatchObject({
          type: 'subscribed',
          show,
        })
      const hold = expectStatus(
        await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-3', 'S-A-4'] }),
        201,
      )
      for (const v of viewers)
        await waitFor('the hold on the seat map', () => seatEvents(v, show).length >= 1, 10_000)
      expect(seatEvents(viewers[0]!, show)[0]).toMatchObject({
        offset: 1,
        state: 'held',
        seats: ['S-A-3', 'S-A-4'],
        hold: hold.id,
        reason: 'held',
      })

      expectStatus(await c.api('POST', `/holds/${hold.id}/confirm`), 200)
      const other = expectStatus(await c.api('POST', `/shows/${show}/holds`, { seats: ['S-A-8'] }), 201)
      expect((await c.api('DELETE', `/holds/${other.id}`)).statusCode).toBe(204)
      for (const v of viewers) await waitFor('four changes', () => seatEvents(v, show).length >= 4, 10_000)
      for (const v of viewers)
        expect(seatEvents(v, show).map((e) => [e.offset, e.state, e.seats.join(' ')])).toEqual([
          [1, 'held', 'S-A-3 S-A-4'],
          [2, 'sold', 'S-A-3 S-A-4'],
          [3, 'held', 'S-A-8'],
          [4, 'free', 'S-A-8'],
        ])

      // A late viewer: from its own read's offset it gets only what follows; from 0, everything.
      const now = expectStatus(await c.api('GET', `/shows/${show}/seats`), 200)
      expect(now.offset).toBe(4)
      const late = await LiveWsClient.connect(url, VIEWER, { path: PATH })
      try {
        await late.request({ type: 'subscribe', show, after: 0 })
        await waitFor('the history', () => seatEvents(late, show).length >= 4, 10_000)
        expect(seatEvents(late, show).map((e) => e.offset)).toEqual([1, 2, 3, 4])
      } finally {
        await late.close()
      }
    } finally {
      for (const v of viewers) await v.close()
    }
  })

  it('shows an expired hold’s seats going free', async () => {
    const show = Number(await simpleShow(c, 1, 4))
    const v = await LiveWsClient.connect(url, VIEWER, { path: PATH })
    try {
      await v.request({ type: 'subscribe', show, after: 0 })
      const hold = expectStatus(await c.api('POST', `/shows/${show}/holds`, { best: 2, ttlSeconds: 1 }), 201)
      await waitFor('the expiry on the seat map', () => seatEvents(v, show).length >= 2, 20_000)
      expect(seatEvents(v, show)[1]).toMatchObject({
        offset: 2,
        state: 'free',
        seats: hold.seats,
        hold: hold.id,
        reason: 'expired',
      })
    } finally {
      await v.close()
    }
  })

  it('concurrent buyers: every change reaches a viewer once, in order, and replays to the map', async () => {
    // Offsets are given after the commits, by the sequencer (sequencer.ts): this checks that no
    // change is lost, doubled or reordered for a seat when many transactions commit at once.
    const show = Number(await simpleShow(c, 1, 6))
    const v = await LiveWsClient.connect(url, VIEWER, { path: PATH, v: 2 })
    try {
      await v.request({ type: 'subscribe', show, after: 0 })
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const seat = `S-A-${1 + (i % 6)}`
          const r = await c.api('POST', `/shows/${show}/holds`, { seats: [seat] })
          if (r.statusCode !== 201) return
          const id = r.json().id
          if (i % 3 === 0) expectStatus(await c.api('POST', `/holds/${id}/confirm`), 200)
          else expect((await c.api('DELETE', `/holds/${id}`)).statusCode).toBe(204)
        }),
      )
      // A map read may already show a change the sequencer has not numbered yet (its event comes
      // with a later offset, repeating the state): once every change is numbered, the events the
      // viewer got, replayed in order, must give the map, and their offsets be 1..head, each once.
      const replay = () => {
        const seats = new Map<string, string>()
        for (const e of seatEvents(v, show)) for (const seat of e.seats) seats.set(seat, e.state)
        return seats
      }
      let map: Json
      await waitFor(
        'the viewer’s events to reach the map',
        async () => {
          map = expectStatus(await c.api('GET', `/shows/${show}/seats`), 200)
          const replayed = replay()
          return (
            seatEvents(v, show).length === map.offset &&
            map.seats.every((seat: Json) => (replayed.get(seat.id) ?? 'free') === seat.state)
          )
        },
        20_000,
      )
      const events = seatEvents(v, show)
      expect(events.map((e) => e.offset)).toEqual(Array.from({ length: map.offset }, (_, i) => i + 1))
      // Some seat was sold, and each sold seat was sold once.
      const sold = events.filter((e) => e.state === 'sold').flatMap((e) => e.seats)
      expect(sold.length).toBeGreaterThan(0)
      expect(new Set(sold).size).toBe(sold.length)
    } finally {
      await v.close()
    }
  })

  it('refuses a show that does not exist, naming it', async () => {
    const v = await LiveWsClient.connect(url, VIEWER, { path: PATH })
    try {
      const answer = await v.request({ type: 'subscribe', show: 987654321 })
      expect(answer).toMatchObject({ type: 'error', code: 'INVENTORY_SHOW_NOT_FOUND' })
    } finally {
      await v.close()
    }
  })
})
