/**
 * One measured stretch of load on one subject, whatever its load:
 * autocannon for HTTP loads, the subject's own driver for custom loads
 * (library calls, WebSocket fan-out). Both become a Slice with the CPU both
 * sides used, so every row of every table means the same thing.
 */
import type { BenchSubject, StartedServer } from '../types.js'
import { runHttpLoad } from './load-http.js'
import { startCpuMeter } from './proc.js'
import type { Slice } from './stats.js'

export async function runLoad(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<Slice> {
  const meter = startCpuMeter(server?.pid)
  const measured = await (subject.load.kind === 'http'
    ? runHttp(subject, server, durationSec)
    : runCustom(subject, server, durationSec))
  return { ...measured, ...meter() }
}

type Measured = Omit<Slice, 'loadCpuSec' | 'wallSec' | 'serverCpuSec'>

function runHttp(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<Measured> {
  if (subject.load.kind !== 'http') throw new Error('unreachable')
  if (!server)
    throw new Error(`subject ${subject.name} has an HTTP load but no start(): nothing to send it to`)
  return runHttpLoad(server.url, subject.load, durationSec)
}

async function runCustom(
  subject: BenchSubject,
  server: StartedServer | undefined,
  durationSec: number,
): Promise<Measured> {
  if (subject.load.kind !== 'custom') throw new Error('unreachable')
  const t0 = performance.now()
  const out = await subject.load.run({ durationMs: durationSec * 1000, server })
  const errors = out.errors ?? 0
  // The driver may overrun the requested duration (a batch in flight): rates use the real time.
  return {
    total: out.ops + errors,
    ok: out.ops,
    errors,
    durationSec: (performance.now() - t0) / 1000,
    latenciesMs: out.latenciesMs,
  }
}
