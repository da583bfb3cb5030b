/**
 * One measured run of one subject, whatever its load: autocannon for HTTP
 * loads, the subject's own driver for custom loads (library calls,
 * WebSocket fan-out). Both become a RoundSample with the CPU both sides
 * used, so every row of every table means the same thing.
 */
import type { BenchSubject, StartedServer } from '../types.js'
import { runHttpLoad } from './load-http.js'
import { startCpuMeter } from './proc.js'
import { percentile, type RoundSample } from './stats.js'

export async function runLoad(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<RoundSample> {
  const meter = startCpuMeter(server?.pid)
  const sample = await (subject.load.kind === 'http'
    ? runHttp(subject, server, durationSec)
    : runCustom(subject, server, durationSec))
  return { ...sample, ...meter() }
}

function runHttp(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<RoundSample> {
  if (subject.load.kind !== 'http') throw new Error('unreachable')
  if (!server)
    throw new Error(`subject ${subject.name} has an HTTP load but no start(): nothing to send it to`)
  return runHttpLoad(server.url, subject.load, durationSec)
}

async function runCustom(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<RoundSample> {
  if (subject.load.kind !== 'custom') throw new Error('unreachable')
  const t0 = performance.now()
  const out = await subject.load.run({ durationMs: durationSec * 1000, server })
  // The driver may overrun the requested duration (a batch in flight); rate over the real time.
  const elapsedSec = (performance.now() - t0) / 1000
  return {
    total: out.ops + (out.errors ?? 0),
    ok: out.ops,
    errors: out.errors ?? 0,
    durationSec: elapsedSec,
    opsPerSec: elapsedSec > 0 ? out.ops / elapsedSec : 0,
    p50Ms: percentile(out.latenciesMs, 50),
    p99Ms: percentile(out.latenciesMs, 99),
  }
}
