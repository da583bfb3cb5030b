/**
 * Bad input to the seat API: negative and silly quantities, unknown seats, holds on taken seats,
 * double confirm, confirm after expiry, malformed venues: each a clear 4xx problem+json naming
 * what is wrong; and a property over every route: any body, any ids, never a 5xx.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import {
  APP_TIMEOUT_MS,
  expectStatus,
  inventoryApp,
  type Res,
  simpleShow,
  states,
  type TestClient,
} from '../testing.js'

/** A 4xx problem+json with `code`; its body. */
function problem(res: Res, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = res.json()
  expect(body.code).toBe(code)
  return body
}

describe.each(backends())('seat API bad input (%s)', (backend) => {
  let c: TestClient
  let show: string
  beforeAll(async () => {
    c = await inventoryApp(backend, { INVENTORY_MAX_VENUE_SEATS: '50', INVENTORY_HOLD_TTL_SECONDS: '60' })
    show = await simpleShow(c, 2, 10)
  }, APP_TIMEOUT_MS)
  afterAll(() => c.close())

  const hold = (body: unknown, id = show) => c.api('POST', `/shows/${id}/holds`, body)

  it.each([
    ['negative', -1],
    ['zero', 0],
    ['a fraction', 1.5],
    ['over the per-hold limit', 11],
    ['null', null],
  ])('best %s: 400 naming best', async (_name, best) => {
    const body = problem(await hold({ best }), 400, 'VALIDATION_FAILED')
    expect(body.invalidParams.map((p: { name: string }) => p.name)).toContain('best')
  })

  it('seats empty, too many, repeated, both or neither given, category with seats, bad ttl: 400', async () => {
    problem(await hold({ seats: [] }), 400, 'VALIDATION_FAILED')
    const many = Array.from({ length: 11 }, (_, i) => `S-A-${i + 1}`)
    problem(await hold({ seats: many }), 400, 'VALIDATION_FAILED')
    const twice = problem(await hold({ seats: ['S-A-1', 'S-A-1'] }), 400, 'INVENTORY_INVALID_HOLD')
    expect(twice.invalidParams).toEqual([{ name: 'seats', reason: 'names seat S-A-1 twice' }])
    problem(await hold({ seats: ['S-A-1'], best: 1 }), 400, 'INVENTORY_INVALID_HOLD')
    problem(await hold({}), 400, 'INVENTORY_INVALID_HOLD')
    problem(await hold({ seats: ['S-A-1'], category: 'standard' }), 400, 'INVENTORY_INVALID_HOLD')
    for (const ttlSeconds of [0, -5, 2.5])
      problem(await hold({ best: 1, ttlSeconds }), 400, 'VALIDATION_FAILED')
    const long = problem(await hold({ best: 1, ttlSeconds: 61 }), 400, 'INVENTORY_INVALID_HOLD')
    expect(long.invalidParams[0].name).toBe('ttlSeconds')
    problem(await hold({ best: 1, colour: 'red' }), 400, 'VALIDATION_FAILED')
    problem(await hold('{"best": 1,'), 400, 'INVALID_JSON')
    // Nothing was held by any of them.
    expect([...(await states(c, show)).values()].every((s) => s === 'free')).toBe(true)
  })

  it('unknown seats: 422 naming only them; unknown show, hold: 404; malformed ids: 400', async () => {
    const body = problem(
      await hold({ seats: ['S-A-1', 'S-Z-1', 'S-A-99', 'nonsense'] }),
      422,
      'INVENTORY_UNKNOWN_SEATS',
    )
    expect(body.seats).toEqual(['S-Z-1', 'S-A-99', 'nonsense'])
    problem(await hold({ best: 1 }, '999999'), 404, 'INVENTORY_SHOW_NOT_FOUND')
    problem(await hold({ seats: ['S-A-1'] }, '999999'), 404, 'INVENTORY_SHOW_NOT_FOUND')
    problem(await c.api('GET', '/shows/999999/seats'), 404, 'INVENTORY_SHOW_NOT_FOUND')
    problem(await hold({ best: 1 }, 'abc'), 400, 'VALIDATION_FAILED')
    problem(await hold({ best: 1 }, '-1'), 400, 'VALIDATION_FAILED')
    problem(await c.api('POST', '/holds/h_nope/confirm'), 404, 'INVENTORY_HOLD_NOT_FOUND')
    problem(await c.api('DELETE', '/holds/h_nope'), 404, 'INVENTORY_HOLD_NOT_FOUND')
    problem(await c.api('GET', '/holds/has%20space'), 400, 'VALIDATION_FAILED')
  })

  it('holds on taken seats, double confirm, confirm after expiry and after release: 409 with its code', async () => {
    const h = expectStatus(await hold({ seats: ['S-B-1', 'S-B-2'], ttlSeconds: 60 }), 201)
    const taken = problem(await hold({ seats: ['S-B-2', 'S-B-3'] }), 409, 'INVENTORY_SEATS_TAKEN')
    expect(taken.seats).toEqual(['S-B-2'])
    expect(taken.detail).toContain('S-B-2')
    expectStatus(await c.api('POST', `/holds/${h.id}/confirm`), 200)
    problem(await c.api('POST', `/holds/${h.id}/confirm`), 409, 'INVENTORY_HOLD_CONFIRMED')
    problem(await hold({ seats: ['S-B-1'] }), 409, 'INVENTORY_SEATS_TAKEN')

    const short = expectStatus(await hold({ seats: ['S-B-9'], ttlSeconds: 1 }), 201)
    await waitFor('the hold to lapse', async () => (await states(c, show)).get('S-B-9') === 'free', 20_000)
    problem(await c.api('POST', `/holds/${short.id}/confirm`), 409, 'INVENTORY_HOLD_EXPIRED')
    problem(await hold({ best: 11 }), 400, 'VALIDATION_FAILED')
    problem(await hold({ best: 10, category: 'nope' }), 409, 'INVENTORY_NOT_ENOUGH_SEATS')
  })

  it('malformed venues and shows: 400 naming the field; a missing venue: 404', async () => {
    const venue = (sections: unknown) => c.api('POST', '/venues', { name: 'V', sections })
    const row = (r: object) => [{ name: 'S', rows: [{ name: 'A', seats: 2, ...r }] }]
    problem(await venue(row({ seats: -1 })), 400, 'VALIDATION_FAILED')
    problem(await venue(row({ seats: 0 })), 400, 'VALIDATION_FAILED')
    problem(await venue(row({ price: -100 })), 400, 'VALIDATION_FAILED')
    problem(await venue([]), 400, 'VALIDATION_FAILED')
    problem(await venue([{ name: 'S-1', rows: [{ name: 'A', seats: 1 }] }]), 400, 'VALIDATION_FAILED')
    const far = problem(await venue(row({ accessible: [3] })), 400, 'INVENTORY_INVALID_VENUE')
    expect(far.invalidParams[0].name).toBe('sections[0].rows[0].accessible')
    const twice = [
      { name: 'S', rows: [{ name: 'A', seats: 1 }] },
      { name: 'S', rows: [{ name: 'A', seats: 1 }] },
    ]
    expect(problem(await venue(twice), 400, 'INVENTORY_INVALID_VENUE').invalidParams[0].name).toBe(
      'sections[1].name',
    )
    const rows = [
      {
        name: 'S',
        rows: [
          { name: 'A', seats: 1 },
          { name: 'A', seats: 1 },
        ],
      },
    ]
    problem(await venue(rows), 400, 'INVENTORY_INVALID_VENUE')
    const big = problem(await venue(row({ seats: 51 })), 400, 'INVENTORY_INVALID_VENUE')
    expect(big.detail).toContain('50 seats')
    problem(
      await c.api('POST', '/shows', { venueId: '424242', startsAt: '2027-01-01T00:00:00Z' }),
      404,
      'INVENTORY_VENUE_NOT_FOUND',
    )
    problem(
      await c.api('POST', '/shows', { venueId: 'x', startsAt: '2027-01-01T00:00:00Z' }),
      400,
      'VALIDATION_FAILED',
    )
    problem(await c.api('POST', '/shows', { venueId: '1', startsAt: 'tomorrow' }), 400, 'VALIDATION_FAILED')
    problem(
      await c.api('POST', '/shows', { venueId: '1', startsAt: '9999-01-01T00:00:00Z' }),
      400,
      'INVENTORY_INVALID_SHOW',
    )
  })

  it('property: any body and ids on every route get a 2xx or a 4xx problem, never a 5xx', async () => {
    const seatId = fc.oneof(
      fc.constantFrom('S-A-1', 'S-B-10', 'S-A-0', 'S-A-11', 'X-A-1', '', '--', 'S-A-1e3'),
      fc.string({ maxLength: 12 }),
    )
    const value = fc.oneof(
      fc.integer({ min: -5, max: 15 }),
      fc.double(),
      fc.string({ maxLength: 10 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(seatId, { maxLength: 4 }),
    )
    const holdBody = fc.record(
      {
        seats: fc.oneof(fc.array(seatId, { maxLength: 12 }), value),
        best: value,
        category: value,
        accessible: value,
        ttlSeconds: value,
        other: value,
      },
      { requiredKeys: [] },
    )
    const id = fc.oneof(
      fc.constantFrom(show, '1', '0', '999999', '-1', 'h_x', '99999999999999999999'),
      fc.string({ maxLength: 10 }),
    )
    const venueBody = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 20 }), value),
        sections: fc.oneof(
          value,
          fc.array(
            fc.record(
              {
                name: fc.oneof(fc.constantFrom('S', 'T', 'S-1'), value),
                price: value,
                rows: fc.oneof(
                  value,
                  fc.array(
                    fc.record(
                      { name: fc.oneof(fc.constantFrom('A', 'B'), value), seats: value, accessible: value },
                      { requiredKeys: [] },
                    ),
                    {
                      maxLength: 3,
                    },
                  ),
                ),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    const call = fc.oneof(
      fc.tuple(
        fc.constant('POST'),
        id.map((i) => `/shows/${encodeURIComponent(i)}/holds`),
        holdBody,
      ),
      fc.tuple(
        fc.constant('GET'),
        id.map((i) => `/shows/${encodeURIComponent(i)}/seats`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('POST'),
        id.map((i) => `/holds/${encodeURIComponent(i)}/confirm`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('DELETE'),
        id.map((i) => `/holds/${encodeURIComponent(i)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('GET'),
        id.map((i) => `/holds/${encodeURIComponent(i)}`),
        fc.constant(undefined),
      ),
      fc.tuple(fc.constant('POST'), fc.constant('/venues'), venueBody),
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/shows'),
        fc.record(
          {
            venueId: fc.oneof(id, value),
            startsAt: fc.oneof(
              fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
              value,
            ),
          },
          { requiredKeys: [] },
        ),
      ),
    )
    await fc.assert(
      fc.asyncProperty(call, async ([method, url, body]) => {
        const res = await c.api(method, url, body)
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBeLessThan(500)
        if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      }),
      { numRuns: 400 },
    )
  })
})
