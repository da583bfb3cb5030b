/**
 * Batches the redirect's database lookups, as DataLoader does: every code
 * asked for in one turn of the event loop is read by one
 * `short_code = ANY($1)` statement. A burst of misses (a cold start, a
 * campaign of new links, cached codes expiring) then costs a few statements
 * instead of one per code; on PGlite, where statements queue on one
 * connection, that is most of a miss's cost.
 *
 * The batch is sent on `setImmediate`: requests read from the sockets in
 * one poll phase are all routed before it, so they share it. A batch larger
 * than `maxBatch` codes is split. A failed read fails every code of its
 * batch (each caller answers its own 503).
 */
import type { RedirectTarget } from './ports.js'

interface Waiter {
  resolve: (t: RedirectTarget | undefined) => void
  reject: (err: unknown) => void
}

export class TargetLoader {
  private pending: Map<string, Waiter[]> | undefined

  constructor(
    private readonly read: (codes: readonly string[]) => Promise<Map<string, RedirectTarget>>,
    private readonly maxBatch = 500,
  ) {}

  /** The target of `code` (undefined: no such code), read with the other codes of this turn. */
  load(code: string): Promise<RedirectTarget | undefined> {
    if (!this.pending) {
      this.pending = new Map()
      setImmediate(() => this.dispatch())
    }
    const pending = this.pending
    return new Promise((resolve, reject) => {
      const waiters = pending.get(code)
      if (waiters) waiters.push({ resolve, reject })
      else pending.set(code, [{ resolve, reject }])
    })
  }

  private dispatch(): void {
    const batch = this.pending
    this.pending = undefined
    if (!batch) return
    const codes = [...batch.keys()]
    for (let i = 0; i < codes.length; i += this.maxBatch) {
      const chunk = codes.slice(i, i + this.maxBatch)
      this.read(chunk).then(
        (found) => {
          for (const code of chunk) for (const w of batch.get(code)!) w.resolve(found.get(code))
        },
        (err) => {
          for (const code of chunk) for (const w of batch.get(code)!) w.reject(err)
        },
      )
    }
  }
}
