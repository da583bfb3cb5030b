/**
 * Lease renewal: every heartbeat extends the lease of each job this worker
 * holds, running or fetched ahead, in one statement. A job the database no
 * longer counts as this worker's (swept as stalled, taken by another worker)
 * is lost here: a running attempt is told so, a fetched-ahead one is dropped.
 */
import type { Attempt } from './attempt.js'
import type { QueueSlots } from './queue-slots.js'
import type { WorkerStore } from './worker.store.js'

/** Renew the leases of `held` attempts and of every queue's buffer; drop or lose the ones not renewed. */
export async function renewLeases(
  store: WorkerStore,
  held: ReadonlyMap<string, Attempt>,
  slots: QueueSlots,
  leaseMs: number,
): Promise<void> {
  const ids: string[] = []
  const leases: string[] = []
  for (const a of held.values()) {
    ids.push(a.job.id)
    leases.push(a.job.lease)
  }
  for (const q of slots.all())
    for (const j of q.buffer) {
      ids.push(j.id)
      leases.push(j.lease)
    }
  if (ids.length === 0) return
  const kept = await store.heartbeat(ids, leases, leaseMs)
  for (const id of ids) {
    if (kept.has(id)) continue
    const a = held.get(id)
    // Gone from the database's active set while still running here: someone took it back.
    if (a && !a.isSettled) a.lose()
  }
  for (const q of slots.all())
    if (q.buffer.some((j) => !kept.has(j.id))) q.buffer = q.buffer.filter((j) => kept.has(j.id))
}
