/**
 * The queues systems declare in `defineSystem({ jobs: { queues } })`, written
 * at boot: created, or brought to the declared settings, and recorded as the
 * system's (`queues.system`, sql/0009). A queue another system owns, or one
 * made through the jobs API, is never taken over: the boot stops naming it.
 */
import type { Db, Queryable } from '../db/port.js'
import type { QueueDeclaration } from './declaration.js'

export class JobsDeclarationError extends Error {
  override name = 'JobsDeclarationError'
}

const COLUMNS: [keyof QueueDeclaration, string][] = [
  ['concurrency', 'concurrency'],
  ['globalConcurrency', 'global_concurrency'],
  ['rateLimit', 'rate_limit'],
  ['ratePeriodMs', 'rate_period_ms'],
  ['groupRateLimit', 'group_rate_limit'],
  ['groupRatePeriodMs', 'group_rate_period_ms'],
  ['maxAttempts', 'max_attempts'],
  ['backoffBaseMs', 'backoff_base_ms'],
  ['backoffMaxMs', 'backoff_max_ms'],
  ['retentionMs', 'retention_ms'],
  ['deadRetentionMs', 'dead_retention_ms'],
]

const UPSERT = `INSERT INTO queues AS q (name, system, ${COLUMNS.map(([, c]) => c).join(', ')})
  VALUES ($1, $2, ${COLUMNS.map((_, i) => `$${i + 3}`).join(', ')})
  ON CONFLICT (name) DO UPDATE SET ${COLUMNS.map(([, c]) => `${c} = EXCLUDED.${c}`).join(', ')}, pull = false
  WHERE q.system IS NOT DISTINCT FROM EXCLUDED.system
  RETURNING name`

/**
 * Create or update `system`'s queues in one transaction (dead-letter links after every queue
 * exists), then wake the workers of each so they re-read its settings.
 */
export async function declareQueues(
  db: Db,
  channel: string,
  system: string,
  queues: Readonly<Record<string, QueueDeclaration>>,
): Promise<void> {
  const names = Object.keys(queues)
  if (names.length === 0) return
  await db.tx(async (tx) => {
    for (const name of names) {
      const q = queues[name]!
      const { rows } = await upsert(tx, system, name, q)
      if (rows.length === 0) {
        const owner = await ownerOf(tx, name)
        throw new JobsDeclarationError(
          `system ${system} declares queue ${name}, which ${owner === null ? 'was made through the jobs API or SQL and belongs to no system' : `belongs to system ${owner}`}: give the queue another name`,
        )
      }
    }
    for (const name of names)
      await tx.query('UPDATE queues SET dead_letter = $2 WHERE name = $1', [
        name,
        queues[name]!.deadLetter ?? null,
      ])
    for (const name of names) await tx.query('SELECT pg_notify($1, $2)', [channel, `!${name}`])
  })
}

async function upsert(tx: Queryable, system: string, name: string, q: QueueDeclaration) {
  try {
    return await tx.query<{ name: string }>(UPSERT, [name, system, ...COLUMNS.map(([k]) => q[k] ?? null)])
  } catch (err) {
    throw new JobsDeclarationError(
      `system ${system} declares queue ${name} with a setting out of range or a bad name: ${(err as Error).message}`,
    )
  }
}

async function ownerOf(tx: Queryable, name: string): Promise<string | null> {
  const { rows } = await tx.query<{ system: string | null }>('SELECT system FROM queues WHERE name = $1', [
    name,
  ])
  return rows[0]?.system ?? null
}
