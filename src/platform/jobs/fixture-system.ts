/**
 * A small system for the engine's tests (and the jobs system's): a shop whose
 * order and receipt job are written in one transaction, the way a real system
 * uses platform/jobs. It declares one queue, `<name>.mail`, and one task,
 * `<name>.send-receipt` (or `task`), whose handler writes the receipt in the
 * system's own schema together with the job's completion (`completeWith`).
 * Each run is recorded in `runs` with the `label` of the app that ran it.
 */
import { quoteIdent } from '../db/port.js'
import { defineSystem, type SystemContext, type SystemDefinition } from '../system.js'

export interface ShopRun {
  label: string
  order: number
  jobId: string
}

export interface ShopOptions {
  /** The system's name (kebab-case); its queue is `<name>.mail`. */
  name: string
  /** The task name; default `<name>.send-receipt`. */
  task?: string
  /** Queues to declare instead of `<name>.mail` (the task is enqueued into the first). */
  queues?: string[]
  /** Cron schedules to declare (on the first queue, the task, payload `{ order }`). */
  schedules?: Record<string, { cron: string; order: number }>
  /** Which app ran a job (several apps share the tables in a test). */
  label?: string
  runs: ShopRun[]
}

/** The shop fixture system. */
export function shopSystem(o: ShopOptions): SystemDefinition {
  const task = o.task ?? `${o.name}.send-receipt`
  const queues = o.queues ?? [`${o.name}.mail`]
  return defineSystem({
    name: o.name,
    description: 'a test shop: an order and its receipt job in one transaction',
    jobs: {
      queues: Object.fromEntries(queues.map((q) => [q, { concurrency: 2, maxAttempts: 3 }])),
      schedules: Object.fromEntries(
        Object.entries(o.schedules ?? {}).map(([name, s]) => [
          name,
          { queue: queues[0]!, task, cron: s.cron, payload: { order: s.order } },
        ]),
      ),
    },
    async create(ctx) {
      const schema = quoteIdent(ctx.db.schema)
      await ctx.db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await ctx.db.query('CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY)')
      await ctx.db.query('CREATE TABLE IF NOT EXISTS receipts (order_id int PRIMARY KEY, job_id bigint)')
      return {
        // No routes: tests place orders with placeOrder(), in the system's own transaction.
        routes() {},
        tasks: {
          [task]: {
            description: 'writes the receipt of an order',
            async handler(payload, job) {
              const order = (payload as { order: number }).order
              // The receipt and the completion commit together, under this attempt's lease.
              await job.completeWith((tx) =>
                tx.query(
                  `INSERT INTO ${schema}.receipts (order_id, job_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
                  [order, job.job.id],
                ),
              )
              o.runs.push({ label: o.label ?? o.name, order, jobId: job.job.id })
            },
          },
        },
      }
    },
  })
}

/** Insert an order and enqueue its receipt job in one transaction of the system's; `fail` rolls both back. */
export async function placeOrder(
  ctx: SystemContext,
  o: { id: number; queue: string; task: string; fail?: boolean },
): Promise<string> {
  return ctx.db.tx(async (tx) => {
    await tx.query('INSERT INTO orders (id) VALUES ($1)', [o.id])
    const added = await ctx.jobs.addJob(tx, o.queue, { task: o.task, payload: { order: o.id } })
    if (o.fail) throw new Error(`order ${o.id} refused after its job was added`)
    return added.id
  })
}
