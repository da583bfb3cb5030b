/**
 * Drive an HTTP server with autocannon's in-process API for a fixed time
 * and reduce its result to a RoundSample.
 *
 * In-process (not the autocannon CLI, not worker threads) so the whole load
 * generator is this one process pinned to its own core, and its CPU use can
 * be measured to tell "the server is slow" from "the client is".
 *
 * Latencies are recorded from autocannon's per-response event rather than
 * taken from its histogram: the histogram has 1 ms resolution (a fast
 * route's p50 reads "1 ms" or "2 ms"), and slices of one round must be
 * merged into exact percentiles.
 */
import autocannon from 'autocannon'
import type { HttpLoad } from '../types.js'
import type { Slice } from './stats.js'

export const DEFAULT_CONNECTIONS = 50
export const DEFAULT_PIPELINING = 1

/** Whether `status` counts as success for this load: `expectStatus`, else any 2xx or 3xx. */
export function isExpected(status: number, expect: readonly number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 400
}

/**
 * autocannon's `requests` entry for this load. A fixed request is built once;
 * path/body generators go through `setupRequest`, which autocannon calls
 * before each request (the buffer is rebuilt then, a cost the client pays
 * equally for every subject).
 */
export function requestsFor(load: HttpLoad, baseUrl = ''): autocannon.Request[] {
  const { path, body } = load
  const dynamic = typeof path === 'function' || typeof body === 'function'
  const base: autocannon.Request = {
    method: load.method ?? 'GET',
    path: typeof path === 'string' ? path : path(baseUrl),
    ...(load.headers ? { headers: load.headers } : {}),
    ...(typeof body === 'string' ? { body } : typeof body === 'function' ? { body: body() } : {}),
  }
  if (!dynamic) return [base]
  return [
    {
      ...base,
      setupRequest(req) {
        if (typeof path === 'function') req.path = path(baseUrl)
        if (typeof body === 'function') req.body = body()
        return req
      },
    },
  ]
}

/** Count the failures in an autocannon result: transport errors plus responses outside `expect`. */
export function countErrors(
  result: Pick<autocannon.Result, 'errors' | 'statusCodeStats'>,
  expect: readonly number[] | undefined,
): { errors: number; unexpected: number; statusCounts: Record<string, number> } {
  const statusCounts: Record<string, number> = {}
  let unexpected = 0
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stat?.count ?? 0
    statusCounts[code] = count
    if (!isExpected(Number(code), expect)) unexpected += count
  }
  // autocannon's `errors` already includes timeouts.
  return { errors: result.errors + unexpected, unexpected, statusCounts }
}

/** A growable array of float latencies: a slice can hold a few hundred thousand. */
class LatencyRecorder {
  private buf = new Float64Array(1 << 16)
  private n = 0
  add(ms: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2)
      next.set(this.buf)
      this.buf = next
    }
    this.buf[this.n++] = ms
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.n)
  }
}

/** Run `load` against `baseUrl` for `durationSec` seconds; CPU figures are filled in by the caller. */
export function runHttpLoad(
  baseUrl: string,
  load: HttpLoad,
  durationSec: number,
): Promise<Omit<Slice, 'loadCpuSec' | 'wallSec'>> {
  const latencies = new LatencyRecorder()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: load.connections ?? DEFAULT_CONNECTIONS,
        pipelining: load.pipelining ?? DEFAULT_PIPELINING,
        duration: durationSec,
        requests: requestsFor(load, baseUrl),
        // A server that stops answering shows as errors within the round, not as a hung bench.
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err)
        const { errors, unexpected, statusCounts } = countErrors(result, load.expectStatus)
        // requests.total counts completed responses; autocannon's `duration` is the measured wall time.
        const total = result.requests.total
        resolve({
          total,
          ok: total - unexpected,
          errors,
          durationSec: result.duration > 0 ? result.duration : durationSec,
          latenciesMs: latencies.values(),
          statusCounts,
        })
      },
    )
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.add(responseTime))
  })
}
