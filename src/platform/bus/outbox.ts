/**
 * The transactional outbox: an event is published if and only if the
 * transaction that wrote it committed. `add` inserts the event row with the
 * caller's transaction and NOTIFYs the relay (PostgreSQL delivers NOTIFY
 * only on commit, so a rolled-back event wakes nobody). The relay claims
 * unsent rows with `FOR UPDATE SKIP LOCKED` (several processes may relay
 * the same schema), publishes each with its row's msgId (so a relay that
 * dies between publish and mark is deduplicated by the Bus), then marks them
 * sent. A poll interval covers notifications lost while reconnecting. A batch
 * row (sql/0002, written by SQL that changes many things in one statement)
 * carries an array of events: one message each, msgId `<msg_id>:<i>`.
 */
import { randomUUID } from 'node:crypto'
import type { Db, Queryable, Unlisten } from '../db/port.js'
import type { Logger } from '../telemetry/logger.js'
import type { Bus, PublishOptions } from './port.js'
import { assertSubject } from './port.js'

export const OUTBOX_MIGRATIONS = new URL('./sql/', import.meta.url)

export interface Outbox {
  /** Write an event with the caller's transaction; it is published after commit. */
  add(tx: Queryable, subject: string, data: unknown, opts?: PublishOptions): Promise<void>
}

/** The NOTIFY channel of a schema's outbox. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`
}

export function createOutbox(schema: string): Outbox {
  const channel = outboxChannel(schema)
  return {
    async add(tx, subject, data, opts = {}) {
      assertSubject(subject)
      await tx.query('INSERT INTO outbox (subject, payload, msg_id, headers) VALUES ($1, $2, $3, $4)', [
        subject,
        data === undefined ? null : JSON.stringify(data),
        opts.msgId ?? randomUUID(),
        JSON.stringify(opts.headers ?? {}),
      ])
      await tx.query('SELECT pg_notify($1, NULL)', [channel])
    },
  }
}

export interface RelayOptions {
  batchSize?: number
  pollIntervalMs?: number
  /** Sent rows older than this are deleted (default 1 hour). */
  retainSentMs?: number
  onRelayed?: (count: number) => void
}

interface OutboxRow {
  id: string
  subject: string
  payload: unknown
  msg_id: string
  headers: Record<string, string>
  /** The payload is an array of events, published one message each (sql/0002). */
  batch: boolean
}

/** The messages of a row: its payload, or each element of a batch row's array with its own msgId. */
function messagesOf(row: OutboxRow): { data: unknown; msgId: string }[] {
  if (!row.batch) return [{ data: row.payload ?? undefined, msgId: row.msg_id }]
  const items = Array.isArray(row.payload) ? row.payload : []
  return items.map((data, i) => ({ data, msgId: `${row.msg_id}:${i}` }))
}

/** The relay worker of one schema's outbox. */
export function createOutboxRelay(db: Db, bus: Bus, log: Logger, opts: RelayOptions = {}) {
  const batchSize = opts.batchSize ?? 100
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000
  const retainSentMs = opts.retainSentMs ?? 3_600_000
  let unlisten: Unlisten | undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let stopped = true
  let lastPrune = 0

  /** Relay one batch; returns how many rows were published. */
  async function relayBatch(): Promise<number> {
    return db.tx(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(
        `SELECT id, subject, payload, msg_id, headers, batch FROM outbox
          WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      )
      if (rows.length === 0) return 0
      const sent: string[] = []
      for (const row of rows) {
        try {
          for (const m of messagesOf(row))
            await bus.publish(row.subject, m.data, { msgId: m.msgId, headers: row.headers })
          sent.push(row.id)
        } catch (err) {
          // Keep order per relay: stop at the first failure, retry from it next round.
          await tx.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [
            row.id,
            String((err as Error).message).slice(0, 1000),
          ])
          log.warn({ err, subject: row.subject }, 'outbox publish failed; will retry')
          break
        }
      }
      if (sent.length > 0)
        await tx.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [sent])
      return sent.length
    })
  }

  /** Relay until the outbox is empty; `all` keeps going even when stopped (flush, final drain). */
  async function drain(all = false): Promise<void> {
    do {
      again = false
      try {
        let n: number
        do {
          n = await relayBatch()
          if (n > 0) opts.onRelayed?.(n)
        } while (n === batchSize && (all || !stopped))
        if (Date.now() - lastPrune > 60_000) {
          lastPrune = Date.now()
          await db.query(
            `DELETE FROM outbox WHERE sent_at < now() - ($1::bigint * interval '1 millisecond')`,
            [retainSentMs],
          )
        }
      } catch (err) {
        if (all || !stopped) log.warn({ err }, 'outbox relay round failed')
      }
    } while (again && !stopped)
  }

  /** Run a drain, or ask the running one to go again (so no wake-up is lost). */
  function kick(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = drain().finally(() => {
      running = undefined
    })
  }

  return {
    name: `outbox-relay:${db.schema}`,
    async start() {
      stopped = false
      unlisten = await db.listen(outboxChannel(db.schema), kick)
      timer = setInterval(kick, pollIntervalMs)
      timer.unref()
      kick()
    },
    async stop() {
      // One last drain so events committed before shutdown leave with us.
      stopped = true
      clearInterval(timer)
      await unlisten?.()
      await running
      await drain(true)
    },
    /** Relay everything pending now (tests, shutdown). */
    async flush() {
      await running
      await drain(true)
    },
  }
}
