/**
 * (TEST_SERVICES=1 only) The issue's test: three real server processes on one PostgreSQL,
 * 10,000 concurrent transfers between 100 accounts that cannot go negative, processes SIGKILLed
 * at random moments and started again. A fifth of the transfers are two-phase (pending, then a
 * post of part of it). Clients behave as they should: a request without an answer (connection
 * reset, 5xx) is sent again, same id and body, to any live process, until it gets one.
 *
 * Afterwards: every balance equals the sum of its posted (and pending) entries; no balance was
 * seen below its limit while it ran, nor is one now; money is conserved (the 100 accounts hold
 * exactly what was deposited); every balance is what the clients' own answers say it must be
 * (an acknowledged transfer neither lost nor applied twice); every transfer sent again answers
 * as it did the first time.
 */
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { testServiceUrls } from '../../../platform/config.js'
import { backendEnv, backends, uniqueId } from '../../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../../platform/testing/process.js'

const ACCOUNTS = 100
const TRANSFERS = 10_000
const IN_FLIGHT = 60
const DEPOSIT = 1_000
/** Kills at these fractions of the transfers answered (which process: random). */
const KILL_AT = [0.1, 0.3, 0.5, 0.7]

interface Answer {
  status: number
  /** 'ok' (created), 'exists' or the refusal. */
  result: string
}

type Body = Record<string, unknown>

interface Op {
  first: {
    id: string
    debitAccountId: string
    creditAccountId: string
    amount: number
    currency: string
    type?: string
  }
  post?: { id: string; type: string; pendingId: string; amount: number }
}

describe.skipIf(!backends().includes('services'))('ledger on three processes, SIGKILLed', () => {
  const id = uniqueId()
  const env = { SYSTEMS: 'payments', ...backendEnv('services', id) }
  const procs: (ServerProcess | undefined)[] = [undefined, undefined, undefined]
  const all: ServerProcess[] = []
  const start = async (i: number) => {
    const p = await startServer({ entry: 'src/main.ts', env, timeoutMs: 240_000 })
    all.push(p)
    procs[i] = p
    return p
  }
  afterAll(async () => {
    for (const p of all) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGTERM')
    await Promise.all(all.map((p) => p.exited))
  })

  /** One definitive answer for `body`: sent again (same body) until a process gives one. */
  async function send(path: string, body: Body, prefer: number): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const live = procs.filter((p): p is ServerProcess => p !== undefined)
      const p = live[(prefer + attempt) % Math.max(1, live.length)]
      if (!p) {
        await new Promise((r) => setTimeout(r, 200))
        continue
      }
      try {
        const res = await fetch(`${p.url}/payments${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        })
        const json = (await res.json()) as { result?: string; code?: string }
        if (res.status === 201) return { status: 201, result: 'ok' }
        if (res.status === 200) return { status: 200, result: 'exists' }
        if (res.status >= 400 && res.status < 500) {
          if (!json.result)
            throw new Error(`${path} ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(json)}`)
          return { status: res.status, result: json.result }
        }
        // A 5xx (a process going down, its pool closing): no answer, send it again.
      } catch (err) {
        if ((err as Error).message.startsWith(path)) throw err
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200))
    }
  }

  it('keeps every balance equal to its entries, within its limit, money conserved, nothing lost or doubled', async () => {
    await Promise.all([0, 1, 2].map(start))
    const acct = (i: number) => `k${id}-a${i}`
    for (const [i, a] of [`k${id}-bank`, ...Array.from({ length: ACCOUNTS }, (_, i) => acct(i))].entries()) {
      const res = await fetch(`${procs[i % 3]!.url}/payments/ledger/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: a,
          currency: 'usd',
          flags: i === 0 ? 'none' : 'debits_must_not_exceed_credits',
        }),
      })
      expect(res.status).toBe(201)
    }
    for (let i = 0; i < ACCOUNTS; i++) {
      const a = await send(
        '/ledger/transfers',
        {
          id: `k${id}-dep${i}`,
          debitAccountId: `k${id}-bank`,
          creditAccountId: acct(i),
          amount: DEPOSIT,
          currency: 'usd',
        },
        i,
      )
      expect(a.result).toBe('ok')
    }

    // A watcher on its own connection: no committed balance below its limit, ever seen.
    const schema = `t${id}_payments`
    const watcher = new pg.Client({ connectionString: testServiceUrls().databaseUrl })
    await watcher.connect()
    let samples = 0
    let crossed = 0
    let watching = true
    const watch = (async () => {
      while (watching) {
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".ledger_accounts
            WHERE flags = 1 AND debits_pending + debits_posted > credits_posted`,
        )
        samples++
        crossed += rows[0]!.n
        await new Promise((r) => setTimeout(r, 100))
      }
    })()

    // The operations: each a transfer between two random accounts, or a pending transfer then a
    // post of part of it. Amounts up to 300 of 1,000 deposited: many are refused at the limit.
    const ops: Op[] = Array.from({ length: TRANSFERS }, (_, n) => {
      const d = Math.floor(Math.random() * ACCOUNTS)
      const c = (d + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS
      const amount = 1 + Math.floor(Math.random() * 300)
      const base = {
        id: `k${id}-t${n}`,
        debitAccountId: acct(d),
        creditAccountId: acct(c),
        amount,
        currency: 'usd',
      }
      return n % 5 === 0
        ? {
            first: { ...base, type: 'pending' },
            post: { id: `k${id}-p${n}`, type: 'post', pendingId: base.id, amount: Math.ceil(amount / 2) },
          }
        : { first: base }
    })
    const answers = new Map<string, Answer>()
    let done = 0
    let kills = 0
    const restarts: Promise<unknown>[] = []
    const maybeKill = () => {
      if (kills >= KILL_AT.length || done < KILL_AT[kills]! * TRANSFERS) return
      // One process down at a time: a survivor always takes the retries.
      const live = [0, 1, 2].filter((i) => procs[i] !== undefined)
      if (live.length < 3) return
      kills++
      const i = live[Math.floor(Math.random() * live.length)]!
      const victim = procs[i]!
      procs[i] = undefined
      victim.kill('SIGKILL')
      restarts.push(victim.exited.then(() => start(i)))
    }
    let next = 0
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, w) => {
        while (next < ops.length) {
          const n = next++
          const op = ops[n]!
          const first = await send('/ledger/transfers', op.first, n + w)
          answers.set(op.first.id, first)
          if (op.post && (first.result === 'ok' || first.result === 'exists'))
            answers.set(op.post.id, await send('/ledger/transfers', op.post, n + w + 1))
          done++
          maybeKill()
        }
      }),
    )
    await Promise.all(restarts)
    watching = false
    await watch
    await watcher.end()
    expect(kills).toBe(KILL_AT.length)

    // Every answer is a real outcome: created, or refused at the limit (never an error).
    const results = new Set([...answers.values()].map((a) => a.result))
    expect(
      [...results].every((r) => ['ok', 'exists', 'exceeds_credits'].includes(r)),
      [...results].join(),
    ).toBe(true)
    expect([...answers.values()].filter((a) => a.result === 'exceeds_credits').length).toBeGreaterThan(0)

    // What each account must hold, from the clients' answers alone.
    const expected = Array.from({ length: ACCOUNTS }, () => DEPOSIT)
    const index = (a: string) => Number(a.slice(a.lastIndexOf('-a') + 2))
    for (const op of ops) {
      const a = answers.get(op.first.id)!
      if (a.result !== 'ok' && a.result !== 'exists') continue
      const moved = op.post ? op.post.amount : op.first.amount
      if (op.post) {
        const p = answers.get(op.post.id)!
        expect(['ok', 'exists'], `post ${op.post.id}`).toContain(p.result)
      }
      expected[index(op.first.debitAccountId)]! -= moved
      expected[index(op.first.creditAccountId)]! += moved
    }

    const url = procs[0]!.url
    let total = 0
    for (let i = 0; i < ACCOUNTS; i++) {
      const a = (await (await fetch(`${url}/payments/ledger/accounts/${acct(i)}`)).json()) as Record<
        string,
        string
      >
      const balance = Number(a.creditsPosted) - Number(a.debitsPosted)
      expect(balance, acct(i)).toBe(expected[i])
      expect(Number(a.debitsPending), `${acct(i)} holds nothing pending`).toBe(0)
      expect(Number(a.debitsPosted)).toBeLessThanOrEqual(Number(a.creditsPosted))
      total += balance
    }
    expect(total).toBe(ACCOUNTS * DEPOSIT)
    expect(samples).toBeGreaterThan(0)
    expect(crossed).toBe(0)
    const recon = (await (await fetch(`${url}/payments/ledger/reconciliation`)).json()) as {
      discrepancies: unknown[]
    }
    expect(recon.discrepancies).toEqual([])

    // Sent again now: the same answer as the first time (created -> exists; a refusal stays).
    for (const op of ops.slice(0, 2000)) {
      const before = answers.get(op.first.id)!
      const again = await send('/ledger/transfers', op.first, 0)
      expect(again.result, op.first.id).toBe(before.result === 'ok' ? 'exists' : before.result)
    }
  }, 1_500_000)
})
