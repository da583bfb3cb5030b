/**
 * The transactional outbox on each backend (embedded: PGlite + in-process
 * bus; services: PostgreSQL + NATS): an event leaves exactly when its
 * transaction commits, once, however many relays run.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { testServiceUrls } from '../config.js'
import { migrate } from '../db/migrate.js'
import type { Db } from '../db/port.js'
import { createLogger } from '../telemetry/logger.js'
import { type BackendName, backends, testBus, testDb, uniqueId } from '../testing/backends.js'
import { dropNatsStream, recorder, settle, waitFor } from './bus.contract.js'
import { createOutbox, createOutboxRelay, OUTBOX_MIGRATIONS, type RelayOptions } from './outbox.js'
import type { Bus, PublishOptions } from './port.js'

const log = createLogger('silent')

/** A bus that counts each publish by msgId (the Bus itself would hide a double publish by dedup). */
function counting(bus: Bus, failFirst = 0) {
  const published: string[] = []
  let failures = failFirst
  const wrapped: Bus = {
    ...bus,
    kind: bus.kind,
    async publish(subject: string, data: unknown, opts?: PublishOptions) {
      if (failures > 0) {
        failures--
        throw new Error('bus unavailable (test)')
      }
      await bus.publish(subject, data, opts)
      published.push(opts?.msgId ?? '?')
    },
  }
  return { bus: wrapped, published }
}

describe.each(backends())('outbox on %s', (backend: BackendName) => {
  const cleanups: (() => Promise<void>)[] = []

  // Opening the worker's PGlite takes seconds: do it here, not inside the first test's time budget.
  beforeAll(async () => {
    await testDb(backend)
  })

  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn()
  })

  async function setup() {
    const db = await testDb(backend, `outbox_${uniqueId()}`)
    await migrate(db, [{ source: 'platform/outbox', dir: OUTBOX_MIGRATIONS }])
    const prefix = `t${uniqueId()}`
    const bus = await testBus(backend, prefix)
    cleanups.push(async () => {
      await bus.close()
      if (backend === 'services') await dropNatsStream(testServiceUrls().natsUrl, prefix)
    })
    const outbox = createOutbox(db.schema)
    const got = recorder<{ n: number }>()
    await bus.subscribe('orders.>', got.handler, { group: 'billing' })
    return { db, bus, outbox, got }
  }

  function relay(db: Db, bus: Bus, opts: RelayOptions) {
    const r = createOutboxRelay(db, bus, log, opts)
    let stopped: Promise<void> | undefined
    const stop = () => {
      stopped ??= r.stop()
      return stopped
    }
    cleanups.push(stop)
    return { ...r, stop }
  }

  async function rows(db: Db) {
    const { rows } = await db.query<{
      msg_id: string
      sent: boolean
      attempts: number
      last_error: string | null
    }>('SELECT msg_id, sent_at IS NOT NULL AS sent, attempts, last_error FROM outbox ORDER BY id')
    return rows
  }

  it('publishes an event when its transaction commits, and never when it rolls back', async () => {
    const { db, bus, outbox, got } = await setup()
    await expect(
      db.tx(async (tx) => {
        await outbox.add(tx, 'orders.created', { n: 1 }, { msgId: 'rolled-back' })
        throw new Error('business rule failed')
      }),
    ).rejects.toThrow('business rule failed')
    await db.tx(async (tx) => {
      await tx.query('SELECT 1') // the state change the event announces would be written here
      await outbox.add(
        tx,
        'orders.created',
        { n: 2 },
        { msgId: 'committed', headers: { 'x-trace-id': 't1' } },
      )
    })
    const counted = counting(bus)
    const r = relay(db, counted.bus, { pollIntervalMs: 50 })
    await r.start()
    await waitFor('the committed event', () => got.got.length === 1)
    // Running the relay again publishes nothing more: the row is marked sent.
    await r.flush()
    await r.flush()
    await settle()
    expect(counted.published).toEqual(['committed'])
    expect(got.got).toEqual([
      {
        subject: 'orders.created',
        data: { n: 2 },
        msgId: 'committed',
        headers: { 'x-trace-id': 't1' },
        deliveryCount: 1,
      },
    ])
    expect(await rows(db)).toEqual([{ msg_id: 'committed', sent: true, attempts: 0, last_error: null }])
  }, 15_000)

  it('publishes each event once when two relays run on the same schema', async () => {
    const { db, bus, outbox, got } = await setup()
    const N = 60
    const counted = counting(bus)
    const relays = [
      relay(db, counted.bus, { pollIntervalMs: 20, batchSize: 7 }),
      relay(db, counted.bus, { pollIntervalMs: 20, batchSize: 7 }),
    ]
    await Promise.all(relays.map((r) => r.start()))
    await Promise.all(
      Array.from({ length: N }, (_, n) =>
        db.tx((tx) => outbox.add(tx, 'orders.created', { n }, { msgId: `order-${n}` })),
      ),
    )
    await waitFor('every event delivered', () => got.got.length >= N, 10_000)
    await Promise.all(relays.map((r) => r.flush()))
    await settle()
    const all = Array.from({ length: N }, (_, n) => `order-${n}`)
    // Exactly once per row at the relay (SKIP LOCKED), not merely deduplicated by the bus.
    expect([...counted.published].sort()).toEqual([...all].sort())
    expect(got.got.map((m) => m.msgId).sort()).toEqual([...all].sort())
    expect((await rows(db)).every((r) => r.sent)).toBe(true)
  }, 15_000)

  it('wakes on NOTIFY rather than waiting for the poll interval', async () => {
    const { db, bus, outbox, got } = await setup()
    const r = relay(db, bus, { pollIntervalMs: 60_000 })
    await r.start()
    await r.flush() // the start-up round is over: only a notification can wake the relay now
    const committedAt = Date.now()
    await db.tx((tx) => outbox.add(tx, 'orders.created', { n: 1 }))
    await waitFor('the event', () => got.got.length === 1, 5_000)
    expect(Date.now() - committedAt).toBeLessThan(5_000)
    expect(got.got[0]!.data).toEqual({ n: 1 })
  }, 15_000)

  it('publishes everything committed before stop() by the time stop() returns', async () => {
    const { db, bus, outbox, got } = await setup()
    const counted = counting(bus)
    const r = relay(db, counted.bus, { pollIntervalMs: 60_000 })
    await r.start()
    await r.flush()
    for (let n = 0; n < 10; n++)
      await db.tx((tx) => outbox.add(tx, 'orders.created', { n }, { msgId: `order-${n}` }))
    // Rows whose notification was lost (NOTIFY is a wake-up, not a guarantee): only stop() finds them.
    for (let n = 10; n < 20; n++)
      await db.query(`INSERT INTO outbox (subject, payload, msg_id) VALUES ('orders.created', $1, $2)`, [
        JSON.stringify({ n }),
        `order-${n}`,
      ])
    await r.stop()
    // No waiting: stop() itself drained the outbox.
    expect(counted.published.sort()).toEqual(Array.from({ length: 20 }, (_, n) => `order-${n}`).sort())
    expect((await rows(db)).every((row) => row.sent)).toBe(true)
    await waitFor('every event delivered', () => got.got.length === 20)
  }, 15_000)

  it('relays every pending batch on flush(), started or not', async () => {
    const { db, bus, outbox, got } = await setup()
    for (let n = 0; n < 15; n++) await db.tx((tx) => outbox.add(tx, 'orders.created', { n }))
    const counted = counting(bus)
    await relay(db, counted.bus, { batchSize: 4 }).flush()
    expect(counted.published).toHaveLength(15)
    expect((await rows(db)).every((row) => row.sent)).toBe(true)
    await waitFor('every event delivered', () => got.got.length === 15)
  }, 15_000)

  it('keeps an event whose publish failed and publishes it on a later round', async () => {
    const { db, bus, outbox, got } = await setup()
    const counted = counting(bus, 2)
    const r = relay(db, counted.bus, { pollIntervalMs: 50 })
    await r.start()
    await db.tx((tx) => outbox.add(tx, 'orders.created', { n: 1 }, { msgId: 'flaky' }))
    await waitFor('the event after two failed publishes', () => got.got.length === 1)
    // Delivery can beat the relay's commit of the sent mark: wait for the row too.
    await waitFor('the row marked sent', async () => (await rows(db))[0]?.sent === true)
    expect(counted.published).toEqual(['flaky'])
    expect(await rows(db)).toEqual([
      { msg_id: 'flaky', sent: true, attempts: 2, last_error: 'bus unavailable (test)' },
    ])
  }, 15_000)

  it('publishes a batch row as one message per element, each with its own msgId, again after a failure part-way', async () => {
    const { db, bus, got } = await setup()
    // As SQL that changes many things in one statement writes them (the job worker's completions).
    await db.query(
      `INSERT INTO outbox (subject, payload, msg_id, batch) VALUES ('orders.created', $1, 'b1', true)`,
      [JSON.stringify([{ n: 0 }, { n: 1 }, { n: 2 }])],
    )
    const published: string[] = []
    let failed = false
    const flaky: Bus = {
      ...bus,
      kind: bus.kind,
      async publish(subject: string, data: unknown, opts?: PublishOptions) {
        if (opts?.msgId === 'b1:1' && !failed) {
          failed = true
          throw new Error('bus unavailable (test)')
        }
        await bus.publish(subject, data, opts)
        published.push(opts?.msgId ?? '?')
      },
    }
    const r = relay(db, flaky, { pollIntervalMs: 50 })
    await r.start()
    await waitFor('the row marked sent', async () => (await rows(db))[0]?.sent === true)
    // The first element went out twice (before the failure and on the retry); the Bus dropped the repeat.
    expect(published).toEqual(['b1:0', 'b1:0', 'b1:1', 'b1:2'])
    await waitFor('three events delivered', () => got.got.length === 3)
    await settle()
    expect(got.got.map((m) => [m.msgId, m.data])).toEqual([
      ['b1:0', { n: 0 }],
      ['b1:1', { n: 1 }],
      ['b1:2', { n: 2 }],
    ])
    expect(await rows(db)).toEqual([
      { msg_id: 'b1', sent: true, attempts: 1, last_error: 'bus unavailable (test)' },
    ])
  }, 15_000)
})
