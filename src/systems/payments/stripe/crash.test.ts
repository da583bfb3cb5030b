/**
 * Real server processes (`node --import tsx src/main.ts`, SYSTEMS=payments) under concurrent
 * payments, one of them SIGKILLed mid-load and started again; clients retry every payment whose
 * answer they did not get, with its Idempotency-Key, as stripe-node would. Afterwards: every
 * acknowledged payment is there, once, with the same id; every order has exactly one
 * PaymentIntent; the balance is the sum of the orders; the ledger reconciles. Embedded: one
 * process on a PGlite folder (killed and restarted on it); services: two processes on one
 * PostgreSQL, one killed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { TEST_SECRET_KEY } from '../testing.js'

const ORDERS = 240
const CONCURRENCY = 12
const auth = { authorization: `Bearer ${TEST_SECRET_KEY}` }

interface Answer {
  status: number
  id?: string
}

async function pay(url: string, order: number): Promise<Answer> {
  const res = await fetch(`${url}/v1/payment_intents`, {
    method: 'POST',
    headers: {
      ...auth,
      'content-type': 'application/x-www-form-urlencoded',
      'idempotency-key': `order-${order}`,
    },
    body: new URLSearchParams({
      amount: String(100 + order),
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'metadata[order]': String(order),
    }).toString(),
    signal: AbortSignal.timeout(60_000),
  })
  const body = (await res.json()) as { id?: string }
  return { status: res.status, id: body.id }
}

describe.each(backends())('payments processes killed with SIGKILL (%s)', (backend) => {
  const started: ServerProcess[] = []
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-pay-'))
  afterAll(async () => {
    for (const p of started) p.kill('SIGKILL')
    await Promise.all(started.map((p) => p.exited))
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('loses no acknowledged payment and doubles none; the ledger reconciles', async () => {
    const env = {
      SYSTEMS: 'payments',
      PAYMENTS_INITIAL_SECRET_KEY: TEST_SECRET_KEY,
      DATA_DIR: dataDir,
      ...backendEnv(backend, uniqueId()),
    }
    const start = async () => {
      const p = await startServer({ entry: 'src/main.ts', env, timeoutMs: 180_000 })
      started.push(p)
      return p
    }
    const count = backend === 'services' ? 2 : 1
    const servers: ServerProcess[] = []
    for (let i = 0; i < count; i++) servers.push(await start())
    const victim = servers[0]!

    const acked = new Map<number, string>()
    let next = 0
    let killed = false
    const worker = async (w: number) => {
      while (next < ORDERS) {
        const order = next++
        const url = servers[(order + w) % servers.length]!.url
        const a = await pay(url, order).catch(() => ({ status: 0 }) as Answer)
        if (a.status === 200 && a.id) acked.set(order, a.id)
        // The kill, once a quarter of the orders were answered: requests are in flight on it.
        if (!killed && acked.size >= ORDERS / 4) {
          killed = true
          victim.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)))
    expect(killed).toBe(true)
    await victim.exited
    const restarted = await start()
    servers[0] = restarted
    const url = restarted.url

    // The clients' retries: every order again with its key (acknowledged ones must replay).
    for (let order = 0; order < ORDERS; order++) {
      const a = await pay(url, order)
      expect(a.status, `order ${order}`).toBe(200)
      if (acked.has(order)) expect(a.id, `order ${order} replays its PaymentIntent`).toBe(acked.get(order))
      acked.set(order, a.id!)
    }
    expect(acked.size).toBe(ORDERS)

    // Every PaymentIntent the server has: exactly one per order, all succeeded.
    const perOrder = new Map<string, number>()
    let after: string | undefined
    for (;;) {
      const q = new URLSearchParams({ limit: '100', ...(after && { starting_after: after }) })
      const page = (await (await fetch(`${url}/v1/payment_intents?${q}`, { headers: auth })).json()) as {
        data: { id: string; status: string; metadata: { order: string } }[]
        has_more: boolean
      }
      for (const pi of page.data) {
        expect(pi.status).toBe('succeeded')
        perOrder.set(pi.metadata.order, (perOrder.get(pi.metadata.order) ?? 0) + 1)
      }
      if (!page.has_more) break
      after = page.data.at(-1)!.id
    }
    expect(perOrder.size).toBe(ORDERS)
    expect([...perOrder.values()].every((n) => n === 1)).toBe(true)

    const balance = (await (await fetch(`${url}/v1/balance`, { headers: auth })).json()) as {
      available: { amount: number; currency: string }[]
    }
    const expected = Array.from({ length: ORDERS }, (_, i) => 100 + i).reduce((a, b) => a + b, 0)
    expect(balance.available).toEqual([expect.objectContaining({ currency: 'usd', amount: expected })])
    const recon = (await (await fetch(`${url}/payments/ledger/reconciliation`)).json()) as {
      discrepancies: unknown[]
    }
    expect(recon.discrepancies).toEqual([])
  }, 600_000)
})
