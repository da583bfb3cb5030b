/**
 * Bad input to /v1 gets Stripe's error object with a 4xx, never a 5xx: amounts of 0, negative,
 * fractional, beyond Stripe's limit or 2^53; unknown currencies; unknown and malformed
 * parameters; bodies that are not form-encoded; and a property over arbitrary form bodies.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { type StripeTestApp, stripeApp } from '../testing.js'

describe.each(backends())('/v1 bad input (%s)', (backend) => {
  let t: StripeTestApp
  beforeAll(async () => {
    t = await stripeApp(backend)
  }, 120_000)
  afterAll(() => t?.close())

  const create = (body: string) => t.raw('POST', '/v1/payment_intents', body)

  it.each([
    ['amount=0&currency=usd', 'amount', 'amount_too_small'],
    ['amount=-100&currency=usd', 'amount', 'amount_too_small'],
    ['amount=49&currency=usd', 'amount', 'amount_too_small'],
    ['amount=10.5&currency=usd', 'amount', 'parameter_invalid_integer'],
    ['amount=1e3&currency=usd', 'amount', 'parameter_invalid_integer'],
    ['amount=100000000&currency=usd', 'amount', 'amount_too_large'],
    ['amount=9007199254740993&currency=usd', 'amount', 'amount_too_large'],
    ['amount=&currency=usd', 'amount', 'parameter_invalid_integer'],
    ['currency=usd', 'amount', 'parameter_missing'],
    ['amount=500', 'currency', 'parameter_missing'],
    ['amount=500&currency=xyz', 'currency', undefined],
    ['amount=500&currency=usd&colour=red', 'colour', 'parameter_unknown'],
    ['amount[x]=500&currency=usd', 'amount', 'parameter_invalid_integer'],
    ['amount=500&currency=usd&capture_method=later', 'capture_method', undefined],
    ['amount=500&currency=usd&customer=cus_missing', 'customer', 'resource_missing'],
    ['amount=500&currency=usd&confirm=yes', 'confirm', 'parameter_invalid_empty'],
  ])('%s -> 4xx naming %s', async (body, param, code) => {
    const res = await create(body)
    expect(res.statusCode).toBeGreaterThanOrEqual(400)
    expect(res.statusCode).toBeLessThan(500)
    const e = res.json().error
    expect(e.type).toBe('invalid_request_error')
    expect(e.param).toBe(param)
    if (code) expect(e.code).toBe(code)
  })

  it('takes currencies in any case, as Stripe does', async () => {
    const res = await create('amount=500&currency=EUR')
    expect(res.statusCode).toBe(200)
    expect(res.json().currency).toBe('eur')
  })

  it.each([
    ['%ZZ=1', 'bad percent-encoding'],
    ['metadata=1&metadata[a]=2', 'both as a value and as an object'],
    ['a[b=1', 'malformed parameter name'],
    ['a[b][c][d][e][f]=1', 'nested too deeply'],
    ['expand[0]=x&expand[y]=z', 'mixes a list and an object'],
  ])('a malformed form body (%s) is a 400 invalid_request_error', async (body, why) => {
    const res = await t.raw('POST', '/v1/customers', body)
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toContain(why)
  })

  it('a JSON body, an unknown route, a bad refund: 4xx in Stripe shape', async () => {
    const json = await t.raw('POST', '/v1/customers', undefined, { 'content-type': 'application/json' })
    expect(json.statusCode).toBe(400)
    expect(json.json().error.type).toBe('invalid_request_error')
    const nowhere = await t.raw('GET', '/v1/nothing_here')
    expect(nowhere.statusCode).toBe(404)
    expect(nowhere.json().error.message).toContain('Unrecognized request URL')
    const refund = await t.raw('POST', '/v1/refunds', 'payment_intent=pi_nope&amount=-5')
    expect(refund.statusCode).toBe(400)
    const list = await t.raw('GET', '/v1/customers?limit=1000')
    expect(list.statusCode).toBe(400)
    expect(list.json().error.param).toBe('limit')
    const cursor = await t.raw('GET', '/v1/customers?starting_after=cus_unknown')
    expect([cursor.statusCode, cursor.json().error.param]).toEqual([404, 'starting_after'])
  })

  it('property: any form body to any create route gets a 2xx or a Stripe 4xx, never a 5xx', async () => {
    const key = fc.oneof(
      fc.constantFrom(
        'amount',
        'currency',
        'metadata[a]',
        'expand[]',
        'email',
        'confirm',
        'payment_method',
        'capture_method',
      ),
      fc.string({ maxLength: 12 }),
    )
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constantFrom('usd', '-1', '1.5', 'pm_card_visa'),
    )
    const body = fc
      .array(fc.tuple(key, value, fc.boolean()), { maxLength: 8 })
      .map((pairs) =>
        pairs
          .map(([k, v, raw]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
          .join('&'),
      )
    const path = fc.constantFrom(
      '/v1/customers',
      '/v1/payment_intents',
      '/v1/refunds',
      '/v1/webhook_endpoints',
      '/v1/payment_methods',
    )
    await fc.assert(
      fc.asyncProperty(path, body, async (p, b) => {
        const res = await t.raw('POST', p, b)
        expect(res.statusCode, `${p} ${b}: ${res.body}`).toBeLessThan(500)
        if (res.statusCode >= 400) expect(typeof res.json().error.type).toBe('string')
      }),
      { numRuns: 150 },
    )
  }, 120_000)
})
