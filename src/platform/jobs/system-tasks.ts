/**
 * Which system owns a queue (sql/0009) and which tasks each system's handlers
 * answer to (sql/0012), so a job added from outside the owner (the jobs
 * system's REST API, possibly in a process that does not run the owner) can be
 * checked against what will actually fetch it. Both change only at a deploy,
 * so answers are kept a few seconds rather than read on every enqueue.
 */
import type { Queryable } from '../db/port.js'

/** Record the task names `system`'s handlers answer to (replacing what an earlier boot recorded). */
export async function recordSystemTasks(
  db: Queryable,
  system: string,
  tasks: readonly string[],
): Promise<void> {
  await db.query(
    `INSERT INTO system_tasks (system, tasks) VALUES ($1, $2)
       ON CONFLICT (system) DO UPDATE SET tasks = EXCLUDED.tasks, recorded_at = now()
       WHERE system_tasks.tasks IS DISTINCT FROM EXCLUDED.tasks`,
    [system, [...tasks].sort()],
  )
}

/** What a job added to a queue must name. */
export type QueueTasks =
  /** The queue belongs to no system (or does not exist): the caller's own rules apply. */
  | { owner: null }
  /** `tasks`: the owner's task names; undefined when no process of this version recorded them yet. */
  | { owner: string; tasks: readonly string[] | undefined }

interface Cached<T> {
  value: Promise<T>
  until: number
}

/**
 * Queue owners and systems' task names, read from the job tables and kept `ttlMs`. The lookup
 * itself is kept, so the items of one batch (all checked at once) share one read.
 */
export class QueueOwnership {
  private readonly owners = new Map<string, Cached<string | null>>()
  private readonly tasks = new Map<string, Cached<readonly string[] | undefined>>()

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs = 5_000,
  ) {}

  /** The owner of `queue` and the tasks it runs. */
  async of(queue: string): Promise<QueueTasks> {
    const owner = await this.cached(this.owners, queue, () => this.readOwner(queue))
    if (owner === null) return { owner: null }
    return { owner, tasks: await this.cached(this.tasks, owner, () => this.readTasks(owner)) }
  }

  private async readOwner(queue: string): Promise<string | null> {
    const { rows } = await this.db.query<{ system: string | null }>(
      'SELECT system FROM queues WHERE name = $1',
      [queue],
    )
    // A queue that does not exist yet has no owner; the enqueue fails on it (an owner may declare it later:
    // kept only as long as any answer).
    return rows[0]?.system ?? null
  }

  private async readTasks(system: string): Promise<readonly string[] | undefined> {
    const { rows } = await this.db.query<{ tasks: string[] }>(
      'SELECT tasks FROM system_tasks WHERE system = $1',
      [system],
    )
    return rows[0]?.tasks
  }

  private cached<T>(map: Map<string, Cached<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now()
    const hit = map.get(key)
    if (hit && hit.until > now) return hit.value
    // Bounded: queue names come from requests (existing queues only, but there may be many).
    if (map.size >= 10_000) map.clear()
    const value = read()
    map.set(key, { value, until: now + this.ttlMs })
    // A failed read is not kept: the next request reads again.
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key)
    })
    return value
  }
}
