/** The ledger through its HTTP API: single, two-phase and linked transfers, limits, idempotency. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { account, ledgerStore, paymentsApp, type TestClient } from '../testing.js'

describe.each(backends())('ledger (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await paymentsApp(backend)
    await account(c, 'bank', 'usd', 'credits_must_not_exceed_debits')
    await account(c, 'alice', 'usd', 'debits_must_not_exceed_credits')
    await account(c, 'bob', 'usd', 'debits_must_not_exceed_credits')
    await account(c, 'euro', 'eur')
  })
  afterAll(() => c.close())

  const balance = async (id: string) => (await c.api('GET', `/ledger/accounts/${id}`)).json()
  const transfer = (body: Record<string, unknown>) => c.api('POST', '/ledger/transfers', body)

  it('moves money between accounts and keeps both sides', async () => {
    // The bank account may not have more credits than debits: it must be funded first.
    const refused = await transfer({
      id: 't0',
      debitAccountId: 'alice',
      creditAccountId: 'bank',
      amount: 1,
      currency: 'usd',
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().code).toBe('PAYMENTS_LEDGER_EXCEEDS_CREDITS')
    const res = await transfer({
      id: 't1',
      debitAccountId: 'bank',
      creditAccountId: 'alice',
      amount: 10_000,
      currency: 'usd',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ id: 't1', type: 'single', amount: '10000', state: 'done' })
    expect(await balance('bank')).toMatchObject({ debitsPosted: '10000', creditsPosted: '0' })
    expect(await balance('alice')).toMatchObject({ debitsPosted: '0', creditsPosted: '10000' })
  })

  it('refuses a debit beyond the balance, and the same id and body get the same answer', async () => {
    const body = {
      id: 't2',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amount: 10_001,
      currency: 'usd',
    }
    const first = await transfer(body)
    expect(first.statusCode).toBe(422)
    expect(first.json().result).toBe('exceeds_credits')
    // Funds arrive; the retry of t2 still answers exceeds_credits (its id already failed).
    await transfer({
      id: 't2b',
      debitAccountId: 'bank',
      creditAccountId: 'alice',
      amount: 5,
      currency: 'usd',
    })
    expect((await transfer(body)).json().result).toBe('exceeds_credits')
    expect((await balance('alice')).creditsPosted).toBe('10005')
  })

  it('is idempotent by id: same body = same transfer, other body = 409', async () => {
    const body = { id: 't3', debitAccountId: 'alice', creditAccountId: 'bob', amount: 300, currency: 'usd' }
    expect((await transfer(body)).statusCode).toBe(201)
    const again = await transfer(body)
    expect(again.statusCode).toBe(200)
    expect(again.json().amount).toBe('300')
    const other = await transfer({ ...body, amount: 301 })
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('PAYMENTS_LEDGER_EXISTS_WITH_DIFFERENT_FIELDS')
    expect((await balance('bob')).creditsPosted).toBe('300')
  })

  it('two-phase: pending reserves, a partial post posts part and releases the rest', async () => {
    const before = await balance('alice')
    const p = await transfer({
      id: 'p1',
      type: 'pending',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amount: 1000,
      currency: 'usd',
    })
    expect(p.statusCode).toBe(201)
    expect(p.json().state).toBe('pending')
    expect(await balance('alice')).toMatchObject({ debitsPending: '1000', debitsPosted: before.debitsPosted })
    const post = await transfer({ id: 'p1-post', type: 'post', pendingId: 'p1', amount: 600 })
    expect(post.statusCode).toBe(201)
    expect(post.json()).toMatchObject({
      type: 'post',
      amount: '600',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
    })
    const after = await balance('alice')
    expect(after.debitsPending).toBe('0')
    expect(BigInt(after.debitsPosted) - BigInt(before.debitsPosted)).toBe(600n)
    expect((await c.api('GET', '/ledger/transfers/p1')).json().state).toBe('posted')
    const twice = await transfer({ id: 'p1-post2', type: 'post', pendingId: 'p1' })
    expect(twice.json().result).toBe('pending_transfer_already_posted')
  })

  it('two-phase: void releases everything; more than pending is refused', async () => {
    await transfer({
      id: 'p2',
      type: 'pending',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amount: 50,
      currency: 'usd',
    })
    const over = await transfer({ id: 'p2-over', type: 'post', pendingId: 'p2', amount: 51 })
    expect(over.json().result).toBe('exceeds_pending_transfer_amount')
    const v = await transfer({ id: 'p2-void', type: 'void', pendingId: 'p2' })
    expect(v.statusCode).toBe(201)
    expect((await c.api('GET', '/ledger/transfers/p2')).json().state).toBe('voided')
    expect((await balance('alice')).debitsPending).toBe('0')
    const missing = await transfer({ id: 'p-none', type: 'void', pendingId: 'nope' })
    expect(missing.statusCode).toBe(404)
  })

  it('a pending transfer past its timeout cannot be posted, and its expiry job releases it', async () => {
    const p = await transfer({
      id: 'p3',
      type: 'pending',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amount: 70,
      currency: 'usd',
      timeoutSeconds: 1,
    })
    expect(p.json().expiresAt).not.toBeNull()
    expect((await balance('alice')).debitsPending).toBe('70')
    await waitFor('p3 to pass its timeout', () => Date.now() > Date.parse(p.json().expiresAt), 5_000)
    const late = await transfer({ id: 'p3-post', type: 'post', pendingId: 'p3' })
    expect(late.json().result).toBe('pending_transfer_expired')
    // The job enqueued with the transfer (platform/jobs) runs about a second after the timeout.
    await waitFor('the expiry job', async () => (await balance('alice')).debitsPending === '0', 30_000)
    expect((await c.api('GET', '/ledger/transfers/p3')).json().state).toBe('expired')
    expect(await ledgerStore(c).expirePending(100)).toBe(0)
  })

  it('linked transfers commit all or none', async () => {
    const before = await balance('bob')
    const res = await c.api('POST', '/ledger/transfers/batch', {
      transfers: [
        {
          id: 'l1',
          debitAccountId: 'bank',
          creditAccountId: 'bob',
          amount: 5,
          currency: 'usd',
          linked: true,
        },
        { id: 'l2', debitAccountId: 'bob', creditAccountId: 'alice', amount: 1_000_000, currency: 'usd' },
        { id: 'l3', debitAccountId: 'bank', creditAccountId: 'bob', amount: 7, currency: 'usd' },
      ],
    })
    expect(res.json().results).toEqual([
      { id: 'l1', result: 'linked_event_failed' },
      { id: 'l2', result: 'exceeds_credits' },
      { id: 'l3', result: 'ok' },
    ])
    expect(BigInt((await balance('bob')).creditsPosted) - BigInt(before.creditsPosted)).toBe(7n)
    expect((await c.api('GET', '/ledger/transfers/l1')).statusCode).toBe(404)
  })

  it('refuses currencies that do not match', async () => {
    const r1 = await transfer({
      id: 'c1',
      debitAccountId: 'bank',
      creditAccountId: 'euro',
      amount: 1,
      currency: 'usd',
    })
    expect(r1.json().result).toBe('accounts_must_have_the_same_currency')
    const r2 = await transfer({
      id: 'c2',
      debitAccountId: 'bank',
      creditAccountId: 'alice',
      amount: 1,
      currency: 'eur',
    })
    expect(r2.json().result).toBe('transfer_must_have_the_same_currency_as_accounts')
    expect(r2.statusCode).toBe(422)
  })

  it('every balance is the sum of its transfers', async () => {
    expect(await ledgerStore(c).reconcile()).toEqual([])
  })
})
