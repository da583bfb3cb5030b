/**
 * Read a V8 `.cpuprofile` (what `--cpu-prof` writes) into the figures that
 * answer "where does the time go": self time per function and per file or
 * package, and inclusive time (self + callees) of functions in chosen
 * files, e.g. the platform's Fastify hooks. Used by bench/profile-summary.ts
 * after `npm run bench -- <system> --cpu-prof`.
 */

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface Cost {
  key: string
  ms: number
  share: number
}

/** Where a frame's code lives: `node_modules/<pkg>` collapsed to the package, repo files by path. */
export function fileOf(url: string): string {
  if (url === '') return '(native/VM)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return `pkg:${nm[1]}`
  const src = /\/((?:src|bench)\/.*)$/.exec(url)
  if (src) return src[1]!
  return url.replace(/^file:\/\//, '')
}

/** Line and column: code run through tsx may sit on few lines, and hooks are anonymous arrows. */
function frameKey(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'} ${fileOf(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}`
}

/** A window of the profile, in seconds from its start (e.g. skip the boot, keep the load). */
export interface Window {
  fromSec?: number
  toSec?: number
}

/**
 * Seconds from the profile's start to the first sample taken while Node's
 * HTTP server handled a request: where the boot ends and the load (or the
 * harness's readiness polling, just before it) begins. Undefined if the
 * process never served HTTP.
 */
export function firstRequestSec(profile: CpuProfile): number | undefined {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const inHttp = new Set<number>()
  const mark = (id: number, under: boolean) => {
    const node = byId.get(id)!
    const here = under || node.callFrame.functionName === 'parserOnIncoming'
    if (here) inHttp.add(id)
    for (const c of node.children ?? []) mark(c, here)
  }
  if (profile.nodes[0]) mark(profile.nodes[0].id, false)
  let t = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    if (inHttp.has(profile.samples[i]!)) return t / 1e6
  }
  return undefined
}

/** Self time in ms per node id, from the samples inside the window. */
function selfTimes(profile: CpuProfile, window: Window): Map<number, number> {
  const self = new Map<number, number>()
  const from = (window.fromSec ?? 0) * 1e6
  const to = (window.toSec ?? Number.POSITIVE_INFINITY) * 1e6
  let t = 0 // microseconds since profile start
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    t += delta
    if (t < from || t > to) continue
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + delta / 1000)
  }
  return self
}

function top(map: Map<string, number>, total: number, n: number): Cost[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => ({ key, ms, share: total > 0 ? ms / total : 0 }))
}

export interface ProfileSummary {
  totalMs: number
  /** Time the process had nothing to do. */
  idleMs: number
  selfByFunction: Cost[]
  selfByFile: Cost[]
  /** Inclusive time of functions whose file contains one of the filters, with their costliest callees. */
  inclusive: (Cost & { callees: Cost[] })[]
}

export function summarizeProfile(
  profile: CpuProfile,
  opts: { top?: number; filters?: string[]; window?: Window } = {},
): ProfileSummary {
  const n = opts.top ?? 25
  const filters = opts.filters ?? []
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = selfTimes(profile, opts.window ?? {})
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  let idleMs = 0
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame
    if (f.functionName === '(idle)') {
      idleMs += ms
      continue
    }
    byFunction.set(frameKey(f), (byFunction.get(frameKey(f)) ?? 0) + ms)
    byFile.set(fileOf(f.url), (byFile.get(fileOf(f.url)) ?? 0) + ms)
  }

  // Inclusive time: walk the tree once; a function's subtree counts once even if it recurses.
  const inclusive = new Map<string, number>()
  const callees = new Map<string, Map<string, number>>()
  const subtree = new Map<number, number>()
  const sizeOf = (id: number): number => {
    const cached = subtree.get(id)
    if (cached !== undefined) return cached
    let ms = self.get(id) ?? 0
    for (const c of byId.get(id)?.children ?? []) ms += sizeOf(c)
    subtree.set(id, ms)
    return ms
  }
  const walk = (id: number, open: Set<string>) => {
    const node = byId.get(id)!
    const key = frameKey(node.callFrame)
    const matches = filters.some((f) => node.callFrame.url.includes(f))
    const counted = matches && !open.has(key)
    if (counted) {
      inclusive.set(key, (inclusive.get(key) ?? 0) + sizeOf(id))
      open.add(key)
      const mine = callees.get(key) ?? new Map<string, number>()
      callees.set(key, mine)
      for (const c of node.children ?? []) {
        const ck = frameKey(byId.get(c)!.callFrame)
        mine.set(ck, (mine.get(ck) ?? 0) + sizeOf(c))
      }
    }
    for (const c of node.children ?? []) walk(c, open)
    if (counted) open.delete(key)
  }
  const root = profile.nodes[0]
  if (root && filters.length > 0) walk(root.id, new Set())

  const busy = total - idleMs
  return {
    totalMs: total,
    idleMs,
    selfByFunction: top(byFunction, busy, n),
    selfByFile: top(byFile, busy, n),
    inclusive: top(inclusive, busy, n).map((c) => ({
      ...c,
      callees: top(callees.get(c.key) ?? new Map(), busy, 8),
    })),
  }
}
