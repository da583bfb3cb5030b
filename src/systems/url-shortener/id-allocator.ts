/**
 * Block allocation of short URL ids. One `nextval('id_blocks')` reserves
 * `blockSize` ids for this process; creates then take ids from memory, so a
 * create costs its INSERT and nothing else. Any number of processes share
 * the sequence and never get the same id. A block is refilled ahead of need
 * (when a tenth is left) so a burst of creates does not wait on it, and
 * concurrent callers share one refill. Ids left in a block when a process
 * stops are simply never used: with 62^5 codes of the default length, a
 * thousand lost per restart do not matter.
 */
import type { Db } from '../../platform/db/port.js'

export class IdAllocator {
  private next = 0
  private end = 0
  private spare: { start: number; end: number } | undefined
  private refill: Promise<void> | undefined

  constructor(
    private readonly db: Db,
    private readonly blockSize = 1000,
  ) {}

  /** One fresh id. */
  async take(): Promise<number> {
    for (;;) {
      if (this.next < this.end) {
        const id = this.next++
        if (this.end - this.next < this.blockSize / 10 && !this.spare) void this.fetchSpare().catch(() => {})
        return id
      }
      if (this.spare) {
        this.next = this.spare.start
        this.end = this.spare.end
        this.spare = undefined
        continue
      }
      await this.fetchSpare()
    }
  }

  /** `n` fresh ids (a batch create). */
  async takeMany(n: number): Promise<number[]> {
    const out: number[] = []
    while (out.length < n) {
      if (this.next < this.end) {
        const k = Math.min(n - out.length, this.end - this.next)
        for (let i = 0; i < k; i++) out.push(this.next++)
        continue
      }
      out.push(await this.take())
    }
    return out
  }

  private fetchSpare(): Promise<void> {
    this.refill ??= (async () => {
      try {
        const { rows } = await this.db.query<{ n: string | number }>("SELECT nextval('id_blocks') AS n")
        const block = Number(rows[0]!.n)
        this.spare = { start: block * this.blockSize, end: (block + 1) * this.blockSize }
      } finally {
        this.refill = undefined
      }
    })()
    return this.refill
  }
}
