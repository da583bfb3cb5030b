/**
 * The checkout saga killed at each of its steps, a test per step: a real server process
 * (`src/main.ts`, SYSTEMS=payments) runs with PAYMENTS_SAGA_CRASH_AT=<step>, which SIGKILLs it
 * right after that step took effect at the outside party (the acquirer charged, the stock was
 * held, ...) and before the saga recorded it: the worst moment. A new process on the same
 * database resumes the saga (its job is retaken when the dead one's lease passes). Every saga
 * ends completed or fully compensated; the step that was cut short ran again and found its
 * effect instead of making a second one: one authorization and at most one capture at the
 * acquirer, stock held once or given back, money in the ledger once or given back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'
import { waitFor } from '../../../platform/testing/wait.js'
import { SAGA_CARDS } from './acquirer.js'
import { UNSHIPPABLE_SKU } from './warehouse.js'

interface Case {
  point: string
  card: string
  sku: string
  ends: 'completed' | 'compensated'
  /** The forward steps that succeeded, in order. */
  done: string[]
  /** The compensations that ran, in order. */
  undone: string[]
  acquirer: { state: string; captured: number; refunded: number } | null
}

const AMOUNT = 2500
const CASES: Case[] = [
  {
    point: 'reserve',
    card: SAGA_CARDS.ok,
    sku: 'widget',
    ends: 'completed',
    done: ['reserve', 'authorize', 'capture', 'fulfil'],
    undone: [],
    acquirer: { state: 'captured', captured: AMOUNT, refunded: 0 },
  },
  {
    point: 'authorize',
    card: SAGA_CARDS.ok,
    sku: 'widget',
    ends: 'completed',
    done: ['reserve', 'authorize', 'capture', 'fulfil'],
    undone: [],
    acquirer: { state: 'captured', captured: AMOUNT, refunded: 0 },
  },
  {
    point: 'capture',
    card: SAGA_CARDS.duplicateCallbacks,
    sku: 'widget',
    ends: 'completed',
    done: ['reserve', 'authorize', 'capture', 'fulfil'],
    undone: [],
    acquirer: { state: 'captured', captured: AMOUNT, refunded: 0 },
  },
  {
    point: 'fulfil',
    card: SAGA_CARDS.ok,
    sku: 'widget',
    ends: 'completed',
    done: ['reserve', 'authorize', 'capture', 'fulfil'],
    undone: [],
    acquirer: { state: 'captured', captured: AMOUNT, refunded: 0 },
  },
  {
    point: 'release',
    card: SAGA_CARDS.declined,
    sku: 'widget',
    ends: 'compensated',
    done: ['reserve'],
    undone: ['release'],
    acquirer: null,
  },
  {
    point: 'void',
    card: SAGA_CARDS.captureFails,
    sku: 'widget',
    ends: 'compensated',
    done: ['reserve', 'authorize'],
    undone: ['void', 'release'],
    acquirer: { state: 'voided', captured: 0, refunded: 0 },
  },
  {
    point: 'refund',
    card: SAGA_CARDS.ok,
    sku: UNSHIPPABLE_SKU,
    ends: 'compensated',
    done: ['reserve', 'authorize', 'capture'],
    undone: ['refund', 'release'],
    acquirer: { state: 'refunded', captured: AMOUNT, refunded: AMOUNT },
  },
]

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
type Json = any

async function call(
  url: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}/payments${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  })
  return { status: res.status, json: await res.json() }
}

// One backend (real PostgreSQL when the services are up): 14 process starts are the cost of a run.
describe.each(backends().slice(-1))('checkout saga, process SIGKILLed at each step (%s)', (backend) => {
  const started: ServerProcess[] = []
  const dirs: string[] = []
  afterAll(async () => {
    for (const p of started) p.kill('SIGKILL')
    await Promise.all(started.map((p) => p.exited))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it.each(CASES)(
    'killed right after $point: ends $ends, each effect once',
    async (c) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-saga-'))
      dirs.push(dataDir)
      const env = {
        SYSTEMS: 'payments',
        DATA_DIR: dataDir,
        // A dead process's job is retaken soon after it dies.
        JOBS_LEASE_MS: '2000',
        ...backendEnv(backend, uniqueId()),
      }
      const start = async (extra: Record<string, string>) => {
        const p = await startServer({ entry: 'src/main.ts', env: { ...env, ...extra }, timeoutMs: 180_000 })
        started.push(p)
        return p
      }
      const first = await start({ PAYMENTS_SAGA_CRASH_AT: c.point })
      expect((await call(first.url, 'PUT', `/warehouse/stock/${c.sku}`, { available: 10 })).status).toBe(200)
      const id = `co_kill_${c.point}`
      const made = await call(first.url, 'POST', '/checkouts', {
        id,
        amount: AMOUNT,
        currency: 'usd',
        card: c.card,
        sku: c.sku,
        quantity: 3,
      })
      expect(made.status).toBe(202)
      // The failpoint kills the process (nobody else does).
      expect(await first.exited).toBe('SIGKILL')

      const second = await start({})
      let co: Json
      await waitFor(
        `checkout ${id} to end`,
        async () => {
          co = (await call(second.url, 'GET', `/checkouts/${id}`)).json
          return co.status === 'completed' || co.status === 'compensated'
        },
        150_000,
      )
      expect(co.status).toBe(c.ends)
      expect(co.done).toEqual(c.done)
      expect(co.undone).toEqual(c.undone)
      const log = co.log as { step: string; action: string }[]
      const count = (step: string, action: string) =>
        log.filter((l) => l.step === step && l.action === action).length
      // The step cut short was started twice (before and after the kill) and recorded once.
      expect(count(c.point, 'started')).toBeGreaterThanOrEqual(2)
      for (const s of c.done) expect(count(s, 'succeeded')).toBe(1)
      for (const s of c.undone) expect(count(s, 'compensated')).toBe(1)
      // The acquirer: one payment for the checkout at most, charged once, given back once.
      if (c.acquirer) expect(co.acquirer).toMatchObject({ ...c.acquirer, amount: AMOUNT })
      else expect(co.acquirer).toBeNull()
      expect(co.acquirerPayments).toBe(c.acquirer ? 1 : 0)
      if (c.point === 'capture') {
        // Two settlement callbacks came (the card sends duplicates); one was recorded.
        await waitFor(
          'both callbacks',
          async () => {
            const l = (await call(second.url, 'GET', `/checkouts/${id}`)).json.log as { action: string }[]
            return l.some((x) => x.action === 'callback_duplicate')
          },
          60_000,
        )
        const l = (await call(second.url, 'GET', `/checkouts/${id}`)).json.log as { action: string }[]
        expect(l.filter((x) => x.action === 'callback').length).toBe(1)
      }
      // Stock: 3 held for good, or all 10 back.
      const stock = await call(second.url, 'GET', `/warehouse/stock/${c.sku}`)
      expect(stock.json.available).toBe(c.ends === 'completed' ? 7 : 10)
      // The ledger: the capture moved the amount once; a refund moved it back once.
      const merchant = await call(second.url, 'GET', '/ledger/accounts/saga:merchant:usd')
      const captured = c.acquirer?.captured ?? 0
      if (captured === 0) expect(merchant.status).toBe(404)
      else {
        expect(Number(merchant.json.creditsPosted)).toBe(captured)
        expect(Number(merchant.json.debitsPosted)).toBe(c.acquirer?.refunded ?? 0)
      }
      const recon = await call(second.url, 'GET', '/ledger/reconciliation')
      expect(recon.json.discrepancies).toEqual([])
      second.kill('SIGTERM')
      await second.exited
    },
    400_000,
  )
})
