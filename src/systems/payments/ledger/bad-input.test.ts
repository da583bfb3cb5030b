/** Bad input to the ledger: every malformed request is a 4xx problem naming what is wrong, never a 5xx. */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { account, paymentsApp, type TestClient } from '../testing.js'

describe.each(backends())('ledger bad input (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend)
    await account(c, 'a', 'usd')
    await account(c, 'b', 'usd')
  })
  afterAll(() => c.close())

  const base = { id: 'x', debitAccountId: 'a', creditAccountId: 'b', currency: 'usd' }
  const transfer = (body: unknown) => c.api('POST', '/ledger/transfers', body)

  it.each([
    ['zero', 0, 'must be greater than 0'],
    ['negative', -5, 'must be greater than 0'],
    ['fractional', 1.5, 'not a fraction'],
    ['above 2^53 as a number', 2 ** 53 + 2, 'send it as a string'],
    ['zero as a string', '0', 'must be greater than 0'],
    ['negative as a string', '-1', 'digits 0-9 only'],
    ['fraction as a string', '1.5', 'digits 0-9 only'],
    ['exponent as a string', '1e3', 'digits 0-9 only'],
    ['above 2^63 - 1 as a string', '9223372036854775808', 'at most 9223372036854775807'],
    ['twenty digits', '12345678901234567890', 'digits 0-9 only'],
    ['a boolean', true, 'must be an integer'],
    ['null', null, 'must be an integer'],
  ])('amount %s: 400 naming amount', async (_name, amount, reason) => {
    const res = await transfer({ ...base, amount })
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.code).toBe('PAYMENTS_LEDGER_INVALID')
    expect(body.invalidParams).toEqual([{ name: 'amount', reason: expect.stringContaining(reason) }])
  })

  it('a string above 2^53 is taken exactly', async () => {
    await account(c, 'big-src', 'usd')
    await account(c, 'big-dst', 'usd')
    const res = await transfer({
      ...base,
      id: 'big',
      debitAccountId: 'big-src',
      creditAccountId: 'big-dst',
      amount: '9007199254740993',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().amount).toBe('9007199254740993')
    expect((await c.api('GET', '/ledger/accounts/big-dst')).json().creditsPosted).toBe('9007199254740993')
  })

  it('a balance beyond 2^63 - 1 is refused as overflow (422), not a crash', async () => {
    await account(c, 'o-src', 'usd')
    await account(c, 'o-dst', 'usd')
    const max = '9223372036854775807'
    const one = { ...base, debitAccountId: 'o-src', creditAccountId: 'o-dst' }
    expect((await transfer({ ...one, id: 'o1', amount: max })).statusCode).toBe(201)
    const res = await transfer({ ...one, id: 'o2', amount: 1 })
    expect(res.statusCode).toBe(422)
    expect(res.json().result).toBe('overflow')
  })

  it('unknown and upper-case currencies: 400', async () => {
    for (const currency of ['xyz', 'USD', '', 'dollars']) {
      const res = await transfer({ ...base, amount: 1, currency })
      expect(res.statusCode, currency).toBe(400)
    }
    const acc = await c.api('POST', '/ledger/accounts', { id: 'q', currency: 'abc' })
    expect(acc.statusCode).toBe(400)
    expect(acc.json().invalidParams[0].name).toBe('currency')
  })

  it('missing fields, same account twice, wrong fields for the type: 400 naming each', async () => {
    const res = await transfer({ id: 'm' })
    expect(res.statusCode).toBe(400)
    expect(
      res
        .json()
        .invalidParams.map((p: { name: string }) => p.name)
        .sort(),
    ).toEqual(['amount', 'creditAccountId', 'currency', 'debitAccountId'])
    expect((await transfer({ ...base, amount: 1, creditAccountId: 'a' })).json().invalidParams[0].name).toBe(
      'creditAccountId',
    )
    expect((await transfer({ id: 'p', type: 'post' })).json().invalidParams[0].name).toBe('pendingId')
    expect((await transfer({ ...base, amount: 1, timeoutSeconds: 5 })).statusCode).toBe(400)
    expect((await transfer({ ...base, amount: 1, linked: true })).statusCode).toBe(400)
  })

  it('bad ids, unknown fields, malformed JSON, batches too big or with a repeated id: 400', async () => {
    expect((await transfer({ ...base, id: 'has space', amount: 1 })).statusCode).toBe(400)
    expect((await transfer({ ...base, id: 'x'.repeat(65), amount: 1 })).statusCode).toBe(400)
    expect((await transfer({ ...base, amount: 1, colour: 'red' })).statusCode).toBe(400)
    expect((await transfer('{"id": "x", ')).statusCode).toBe(400)
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...base, id: `b${i}`, amount: 1 }))
    expect((await c.api('POST', '/ledger/transfers/batch', { transfers: many })).statusCode).toBe(400)
    const twice = await c.api('POST', '/ledger/transfers/batch', {
      transfers: [
        { ...base, amount: 1 },
        { ...base, amount: 1 },
      ],
    })
    expect(twice.statusCode).toBe(400)
    expect(twice.json().invalidParams[0].name).toBe('transfers[1].id')
  })

  it('unknown accounts and transfers: 404', async () => {
    expect((await transfer({ ...base, id: 'u1', debitAccountId: 'ghost', amount: 1 })).json().result).toBe(
      'debit_account_not_found',
    )
    expect((await transfer({ ...base, id: 'u2', creditAccountId: 'ghost', amount: 1 })).statusCode).toBe(404)
    expect((await c.api('GET', '/ledger/accounts/ghost')).statusCode).toBe(404)
    expect((await c.api('GET', '/ledger/transfers/ghost')).statusCode).toBe(404)
  })

  it('property: any JSON body gets a 2xx or a 4xx, never a 5xx', async () => {
    const field = fc.oneof(
      fc.constantFrom('a', 'b', 'ghost', 'usd', 'eur', 'pending', 'post', 'void', 'single'),
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    )
    const body = fc.record(
      {
        id: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.string()),
        type: field,
        debitAccountId: field,
        creditAccountId: field,
        amount: field,
        currency: field,
        pendingId: field,
        timeoutSeconds: field,
        linked: field,
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await transfer(b)
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200)
        expect(res.statusCode, res.body).toBeLessThan(500)
      }),
      { numRuns: 300 },
    )
  })
})
