/**
 * Memory per idle connection, and how many idle connections 1 GiB of server memory holds.
 *
 * The procedure, for one server (one "ramp"):
 * 1. Start a fresh server with the memory probe loaded (memory-probe.ts: `--expose-gc`, a full
 *    collection on SIGUSR2). Fresh, because a server that has already held and dropped thousands
 *    of connections keeps memory its allocators retain, and a second ramp on it would look cheaper.
 * 2. Issue every token and create every room first (Blueprints): the requests made for a
 *    connection leave allocator memory behind that is not the connection's.
 * 3. Open `first` connections and sample: what runs once (JIT, lazy modules, tables growing
 *    from empty) is then paid before the line starts, and not charged to the connections measured.
 * 4. Open `step` more connections at a time (rooms of 50 members, every member subscribed to its
 *    room, all users distinct), let the server settle, collect garbage, sample; `steps` times.
 * 5. Fit a line through the samples (least squares): its slope is the bytes each connection holds,
 *    its intercept the server's own memory at no connection. 1 GiB holds
 *    (1 GiB - intercept) / slope connections.
 *
 * RSS is the claim; V8's heap (live objects) and its external memory (Buffers and the C++ objects V8
 * knows of) are fitted separately, and the rest of RSS is native memory V8 does not track (libuv
 * handles, sockets' user-space state, allocator overhead, heap pages committed but not yet used).
 * Not in RSS at all: the kernel's own memory per TCP socket, the same for both servers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { median } from '../../../../bench/harness/stats.js'
import type { StartedServer } from '../../../../bench/types.js'
import type { Side } from './meter.js'

const GiB = 1024 ** 3
const MEMBERS = 50

/** Node flags that load the probe into a server (after `--import tsx`, so a .ts file loads). */
export const PROBE_NODE_ARGS = ['--expose-gc', '--import', new URL('./memory-probe.ts', import.meta.url).href]

/** What the probe reports: `process.memoryUsage()` after full collections, in bytes. */
interface Usage {
  seq: number
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

export interface IdleTarget {
  name: string
  /** Start a fresh server that loads the probe (PROBE_NODE_ARGS) and writes to `env`'s file. */
  start(env: Record<string, string>): Promise<StartedServer>
  /** A client side whose users and rooms are named after `tag`, so no two batches share any. */
  side(tag: string): Side
}

export interface RampShape {
  first: number
  step: number
  steps: number
  settleMs: number
}

interface Fit {
  slope: number
  intercept: number
  r2: number
}

/** Least-squares line through (x, y). */
export function fitLine(xs: readonly number[], ys: readonly number[]): Fit {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
    syy += (ys[i]! - my) ** 2
  }
  const slope = sxy / sxx
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) }
}

export interface Ramp {
  points: { connections: number; usage: Usage }[]
  rss: Fit
  heapUsed: Fit
  heapTotal: Fit
  external: Fit
  perGiB: number
}

/** Ask the probe for a sample and wait for it (a full GC of a large heap takes a while). */
async function sample(pid: number, file: string, last: number): Promise<Usage> {
  process.kill(pid, 'SIGUSR2')
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const u = JSON.parse(readFileSync(file, 'utf8')) as Usage
      if (u.seq > last) return u
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error('memory probe did not answer within 30 s')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** One ramp on a fresh server. */
export async function ramp(target: IdleTarget, shape: RampShape): Promise<Ramp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chat-bench-mem-'))
  const file = path.join(dir, 'usage.json')
  const server = await target.start({ BENCH_MEMORY_PROBE_FILE: file })
  const sides: Side[] = []
  try {
    const points: Ramp['points'] = []
    const sizes = [shape.first, ...Array<number>(shape.steps).fill(shape.step)]
    for (const [k, n] of sizes.entries()) {
      const side = target.side(`m${k}`)
      sides.push(side)
      await side.register?.(server.url, n / MEMBERS, MEMBERS)
    }
    let open = 0
    let seq = 0
    for (const [k, n] of sizes.entries()) {
      await sides[k]!.connect(server.url, n / MEMBERS, MEMBERS)
      open += n
      await new Promise((r) => setTimeout(r, shape.settleMs))
      const usage = await sample(server.pid, file, seq)
      seq = usage.seq
      points.push({ connections: open, usage })
    }
    const xs = points.map((p) => p.connections)
    const line = (key: keyof Usage) =>
      fitLine(
        xs,
        points.map((p) => p.usage[key]),
      )
    const rss = line('rss')
    return {
      points,
      rss,
      heapUsed: line('heapUsed'),
      heapTotal: line('heapTotal'),
      external: line('external'),
      perGiB: (GiB - rss.intercept) / rss.slope,
    }
  } finally {
    for (const s of sides) await s.close()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Whether a ramp measured connections only. Adding connections never frees memory, so RSS must rise
 * at every step and lie close to its line; a ramp where it fell (seen on Blueprints: 20 MiB
 * released between two steps) had memory retained from before the ramp (the requests that issued
 * its tokens) given back in the middle of it, which lowers the slope. Such a ramp is reported and
 * replaced by one on another fresh server.
 */
export function isLinear(r: Ramp): boolean {
  return r.rss.r2 >= 0.99 && r.points.every((p, i) => i === 0 || p.usage.rss >= r.points[i - 1]!.usage.rss)
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`
const count = (n: number) => Math.round(n).toLocaleString('en-US')

/** One line per ramp on stderr: the slope of each part, and the samples behind them. */
export function describeRamp(name: string, i: number, r: Ramp): string {
  const other = r.rss.slope - r.heapUsed.slope - r.external.slope
  return (
    `chat bench: ${name}: ramp ${i + 1}: per connection RSS ${kib(r.rss.slope)} (r² ${r.rss.r2.toFixed(4)}) = ` +
    `V8 heap used ${kib(r.heapUsed.slope)} (committed ${kib(r.heapTotal.slope)}) + external ${kib(r.external.slope)} ` +
    `+ other native ${kib(other)}; RSS at 0 connections ${mib(r.rss.intercept)}; ` +
    `1 GiB holds ${count(r.perGiB)}${isLinear(r) ? '' : ' [not linear: RSS fell, or r² < 0.99]'}; samples (connections: RSS) ` +
    r.points.map((p) => `${count(p.connections)}: ${mib(p.usage.rss)}`).join(', ')
  )
}

/** The medians over ramps, with the spread of the claim (RSS per connection, connections per GiB). */
export function summarizeRamps(ramps: readonly Ramp[], rejected: number): Record<string, number> {
  const med = (f: (r: Ramp) => number) => median(ramps.map(f))
  const rss = ramps.map((r) => r.rss.slope)
  const perGiB = ramps.map((r) => r.perGiB)
  return {
    ramps: ramps.length,
    rampsRejected: rejected,
    connections: ramps[0]?.points.at(-1)?.connections ?? 0,
    rssBytesPerConnection: Math.round(median(rss)),
    rssBytesPerConnectionMin: Math.round(Math.min(...rss)),
    rssBytesPerConnectionMax: Math.round(Math.max(...rss)),
    heapUsedBytesPerConnection: Math.round(med((r) => r.heapUsed.slope)),
    externalBytesPerConnection: Math.round(med((r) => r.external.slope)),
    otherNativeBytesPerConnection: Math.round(med((r) => r.rss.slope - r.heapUsed.slope - r.external.slope)),
    baseRssMiB: Math.round(med((r) => r.rss.intercept) / 1024 ** 2),
    connectionsPerGiB: Math.round(median(perGiB)),
    connectionsPerGiBMin: Math.round(Math.min(...perGiB)),
    connectionsPerGiBMax: Math.round(Math.max(...perGiB)),
  }
}
