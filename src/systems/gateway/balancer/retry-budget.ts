/**
 * A retry budget (Finagle's and Linkerd's idea): retries may add at most `ratio` of the requests a
 * service saw over the last ten seconds, plus `minPerSecond` so that a quiet service can still
 * retry. When every target fails, retries stop multiplying the load by `retries + 1` on the
 * upstream that is already failing. Counted in one-second buckets: a request costs two integer
 * additions; only a retry sums the window.
 */
const WINDOW_S = 10

export class RetryBudget {
  private readonly requests = new Uint32Array(WINDOW_S)
  private readonly retries = new Uint32Array(WINDOW_S)
  private second = 0

  constructor(
    readonly ratio: number,
    readonly minPerSecond: number,
  ) {}

  private roll(): number {
    const now = Math.floor(performance.now() / 1000)
    if (now !== this.second) {
      // Clear the buckets of the seconds that passed (all of them after a quiet window).
      for (let s = Math.max(this.second + 1, now - WINDOW_S + 1); s <= now; s++) {
        this.requests[s % WINDOW_S] = 0
        this.retries[s % WINDOW_S] = 0
      }
      this.second = now
    }
    return now % WINDOW_S
  }

  /** Count a first attempt. */
  request(): void {
    this.requests[this.roll()]!++
  }

  /** Whether one more retry fits the budget; counts it when it does. */
  tryRetry(): boolean {
    const i = this.roll()
    let requests = 0
    let retries = 0
    for (let k = 0; k < WINDOW_S; k++) {
      requests += this.requests[k]!
      retries += this.retries[k]!
    }
    if (retries + 1 > requests * this.ratio + this.minPerSecond * WINDOW_S) return false
    this.retries[i]!++
    return true
  }
}
