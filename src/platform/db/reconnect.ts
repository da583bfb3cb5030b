/** Re-establishing a dropped PostgreSQL connection: shared by the LISTEN connection and dedicated connections. */

export interface ReconnectOptions {
  /** Still worth reconnecting (not closed, not already connected). */
  wanted: () => boolean
  connect: () => Promise<unknown>
  onError?: (err: Error) => void
}

/** Retries `connect` with a doubling delay (100 ms up to 5 s) until it succeeds or is no longer wanted. */
export class ReconnectBackoff {
  private delayMs = 100

  constructor(private readonly o: ReconnectOptions) {}

  /** A connection is up: the next drop starts again from the shortest delay. */
  reset(): void {
    this.delayMs = 100
  }

  /** Try again after the current delay. */
  schedule(): void {
    const delay = this.delayMs
    this.delayMs = Math.min(this.delayMs * 2, 5_000)
    setTimeout(() => {
      if (!this.o.wanted()) return
      this.o.connect().catch((err) => {
        this.o.onError?.(err as Error)
        this.schedule()
      })
    }, delay).unref()
  }
}
