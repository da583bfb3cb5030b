/**
 * The engine as a system uses it, on each backend: a system declares a queue
 * in defineSystem and returns its task handler from create(); a job it adds
 * with ctx.jobs.addJob(tx) in its own transaction exists if and only if that
 * transaction commits, and runs (without the jobs system in the process: the
 * platform migrates the job tables itself). Processes that run different
 * systems on the same tables take only the jobs of their own systems' queues.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { quoteIdent } from '../db/port.js'
import { type App, buildTestApp } from '../testing/app.js'
import { backends, uniqueId } from '../testing/backends.js'
import { waitFor } from '../testing/wait.js'
import { placeOrder, type ShopRun, shopSystem } from './fixture-system.js'
import { jobsSchema } from './migrations.js'

const FAST = { JOBS_POLL_MS: '50', JOBS_BACKOFF_BASE_MS: '10', JOBS_BACKOFF_MAX_MS: '50' }

describe.each(backends())('a system’s jobs (%s)', (backend) => {
  const apps: App[] = []
  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.close()
  })

  /** An app of `systems` on the job tables of `prefix`. */
  async function app(prefix: string, systems: ReturnType<typeof shopSystem>[], startWorkers = true) {
    const a = await buildTestApp(backend, {
      systems,
      env: { ...FAST, DB_SCHEMA_PREFIX: prefix },
      startWorkers,
    })
    apps.push(a)
    return a
  }

  const jobsTable = (a: App) => `${quoteIdent(jobsSchema(a.config.dbSchemaPrefix))}.jobs`

  it('runs a job added in the system’s committed transaction; a rolled-back one never exists', async () => {
    const runs: ShopRun[] = []
    const a = await app(`t${uniqueId()}_`, [shopSystem({ name: 'shop', runs })])
    const ctx = a.systems[0]!.context

    // The job tables exist without the jobs system, with the declared queue recorded as the shop's.
    const { rows: queues } = await a.db.query<{ system: string; concurrency: number; max_attempts: number }>(
      `SELECT system, concurrency, max_attempts FROM ${quoteIdent(jobsSchema(a.config.dbSchemaPrefix))}.queues WHERE name = 'shop.mail'`,
    )
    expect(queues).toEqual([{ system: 'shop', concurrency: 2, max_attempts: 3 }])

    const id = await placeOrder(ctx, { id: 1, queue: 'shop.mail', task: 'shop.send-receipt' })
    await waitFor('the receipt job to run', () => runs.length === 1)
    expect(runs).toEqual([{ label: 'shop', order: 1, jobId: id }])
    await waitFor('the completion to be written', async () => {
      const r = await a.db.query<{ state: string }>(`SELECT state FROM ${jobsTable(a)} WHERE id = $1`, [id])
      return r.rows[0]?.state === 'completed'
    })
    const receipts = await ctx.db.query('SELECT order_id FROM receipts')
    expect(receipts.rows).toEqual([{ order_id: 1 }])

    // The order is refused after its job was added: both are rolled back.
    await expect(
      placeOrder(ctx, { id: 2, queue: 'shop.mail', task: 'shop.send-receipt', fail: true }),
    ).rejects.toThrow(/refused/)
    expect((await ctx.db.query('SELECT id FROM orders ORDER BY id')).rows).toEqual([{ id: 1 }])
    const ghost = await a.db.query(`SELECT id FROM ${jobsTable(a)} WHERE payload->>'order' = '2'`)
    expect(ghost.rows).toEqual([])

    // A system enqueues only into the queues it declares.
    await expect(ctx.jobs.addJob(ctx.db, 'default', { task: 'shop.send-receipt' })).rejects.toThrow(
      /does not declare/,
    )
  })

  it('a process takes only the jobs of the systems it runs', async () => {
    const prefix = `t${uniqueId()}_`
    const runs: ShopRun[] = []
    // The shop's process is up but its workers are not started yet: its job waits.
    const shop = await app(prefix, [shopSystem({ name: 'shop', runs })], false)
    const shopJob = await placeOrder(shop.systems[0]!.context, {
      id: 1,
      queue: 'shop.mail',
      task: 'shop.send-receipt',
    })
    // A process of another system, on the same tables, with its worker running.
    const bill = await app(prefix, [shopSystem({ name: 'bill', runs })])
    const billJob = await placeOrder(bill.systems[0]!.context, {
      id: 1,
      queue: 'bill.mail',
      task: 'bill.send-receipt',
    })
    await waitFor('the bill process to run its job', () => runs.some((r) => r.jobId === billJob))
    // Its worker read every queue at start and has polled since: the shop's job was not taken.
    const waiting = await shop.db.query<{ state: string; attempts: number }>(
      `SELECT state, attempts FROM ${jobsTable(shop)} WHERE id = $1`,
      [shopJob],
    )
    expect(waiting.rows).toEqual([{ state: 'waiting', attempts: 0 }])
    expect(await bill.metrics.registry.getSingleMetricAsString('jobs_fetches_total')).not.toContain(
      'queue="shop.mail"',
    )

    await shop.start({ listen: false })
    await waitFor('the shop process to run its job', () => runs.some((r) => r.jobId === shopJob))
    expect(runs.map((r) => `${r.label}:${r.jobId}`).sort()).toEqual(
      [`bill:${billJob}`, `shop:${shopJob}`].sort(),
    )
  })

  it('runs the cron schedule a system declares, and keeps a schedule of its name from other systems', async () => {
    const prefix = `t${uniqueId()}_`
    const runs: ShopRun[] = []
    const a = await app(prefix, [
      shopSystem({ name: 'shop', runs, schedules: { 'shop.tick': { cron: '* * * * * *', order: -1 } } }),
    ])
    const { rows } = await a.db.query<{ queue: string; task: string; cron: string }>(
      `SELECT queue, task, cron FROM ${quoteIdent(jobsSchema(prefix))}.schedules WHERE name = 'shop.tick'`,
    )
    expect(rows).toEqual([{ queue: 'shop.mail', task: 'shop.send-receipt', cron: '* * * * * *' }])
    await waitFor('a tick of the schedule to run', () => runs.some((r) => r.order === -1), 10_000)
    const ticks = await a.db.query<{ schedule: string }>(
      `SELECT DISTINCT schedule FROM ${jobsTable(a)} WHERE task = 'shop.send-receipt'`,
    )
    expect(ticks.rows).toEqual([{ schedule: 'shop.tick' }])

    await expect(
      app(
        prefix,
        [shopSystem({ name: 'thief', runs, schedules: { 'shop.tick': { cron: '@daily', order: 0 } } })],
        false,
      ),
    ).rejects.toThrow(/system thief declares schedule shop\.tick, which exists on a queue of system shop/)
  })

  it('stops the boot on a task name two systems share, and on a queue another system owns', async () => {
    const runs: ShopRun[] = []
    await expect(
      app(`t${uniqueId()}_`, [
        shopSystem({ name: 'shop', task: 'send-receipt', runs }),
        shopSystem({ name: 'bill', task: 'send-receipt', runs }),
      ]),
    ).rejects.toThrow(/systems shop and bill both have a task named send-receipt/)

    const prefix = `t${uniqueId()}_`
    await app(prefix, [shopSystem({ name: 'shop', runs })], false)
    await expect(
      app(prefix, [shopSystem({ name: 'thief', queues: ['shop.mail'], runs })], false),
    ).rejects.toThrow(/system thief declares queue shop\.mail, which belongs to system shop/)
  })
})
