/**
 * The checks of the multi-process exactness test (exactness.test.ts, part
 * B): each recorded decision, with the bracket of server time its script ran
 * in, is held against the algorithm's definition. A check returns the
 * violations it found (none for a correct limiter, whatever the load) and a
 * summary to print. The reasoning behind each is in the test's header.
 */
import type { Decision } from './exactness.fixture.js'

/** Part B: of the 7 or 8 windows inside a 3.6 s run of 400 ms windows, how many must be saturated. */
const MIN_SATURATED_WINDOWS = 5

/** A decision with its server time: exactly `lo` when lo === hi, else somewhere in [lo, hi] (ms). */
interface Timed {
  allowed: boolean
  remaining: number
  resetMs: number
  retryAfterMs: number
  lo: number
  hi: number
}

export const timed = ([a, remaining, resetMs, retryAfterMs, before, after]: Decision): Timed => ({
  allowed: a === 1,
  remaining,
  resetMs,
  retryAfterMs,
  // The script's `now` is floor(microseconds / 1000) of a TIME between these two.
  lo: Math.floor(before / 1000),
  hi: Math.floor(after / 1000),
})

interface Checked {
  violations: string[]
  summary: Record<string, number | string>
}

/** What every algorithm's decisions satisfy (cost 1). */
function checkCommon(ds: readonly Timed[]): string[] {
  const out: string[] = []
  for (const d of ds) {
    if (!(d.lo <= d.hi)) out.push(`bracket [${d.lo}, ${d.hi}] is empty`)
    if (d.allowed && d.retryAfterMs !== 0) out.push(`admission with retryAfterMs ${d.retryAfterMs}`)
    if (!d.allowed && (d.remaining !== 0 || d.retryAfterMs <= 0))
      out.push(`denial with remaining ${d.remaining}, retryAfterMs ${d.retryAfterMs}`)
  }
  return out
}

/**
 * The exact server millisecond of a fixed-window or sliding-counter decision:
 * its resetMs ends at a multiple of the period (the window's end, or the next
 * one's), so N + resetMs is on the grid, and the bracket (far narrower than a
 * period) holds exactly one such N.
 */
function exactMs(d: Timed, periodMs: number): number | undefined {
  const n = d.lo + ((periodMs - ((d.lo + d.resetMs) % periodMs)) % periodMs)
  return n <= d.hi && n + periodMs > d.hi ? n : undefined
}

/** Windows strictly inside the run (between its first and last decision): the demand covered them whole. */
function interiorWindows(ns: readonly number[], periodMs: number): number[] {
  const first = Math.min(...ns)
  const last = Math.max(...ns)
  const out: number[] = []
  for (let w = Math.ceil(first / periodMs); (w + 1) * periodMs - 1 <= last; w++) out.push(w)
  return out
}

/** Window algorithms whose decisions pin their own time: replay each window exactly. */
export function checkWindows(
  algorithm: 'fixed-window' | 'sliding-window-counter',
  ds: readonly Timed[],
  limit: number,
  P: number,
): Checked {
  const violations = checkCommon(ds)
  const exact: { d: Timed; n: number; w: number }[] = []
  for (const d of ds) {
    const n = exactMs(d, P)
    if (n === undefined) {
      violations.push(`no server ms in [${d.lo}, ${d.hi}] puts resetMs ${d.resetMs} on the ${P} ms grid`)
      continue
    }
    // Fixed: resetMs ends the decision's window. Counter: it ends the next window once the current
    // window has a count (resetMs > P), else this one (a denial on the previous window's weight alone).
    const end = n + d.resetMs
    const w = end / P - (algorithm === 'sliding-window-counter' && d.resetMs > P ? 2 : 1)
    if (algorithm === 'fixed-window' && !d.allowed && d.retryAfterMs !== d.resetMs)
      violations.push(`fixed-window denial at ${n}: retryAfterMs ${d.retryAfterMs} != resetMs ${d.resetMs}`)
    exact.push({ d, n, w })
  }
  const byWindow = new Map<number, typeof exact>()
  for (const e of exact) byWindow.set(e.w, [...(byWindow.get(e.w) ?? []), e])
  const admittedIn = (w: number) => (byWindow.get(w) ?? []).filter((e) => e.d.allowed)

  for (const [w, es] of byWindow) {
    const admitted = admittedIn(w).sort((a, b) => a.n - b.n || b.d.remaining - a.d.remaining)
    const denied = es.filter((e) => !e.d.allowed)
    const start = w * P
    const countUpTo = (n: number) => admitted.filter((a) => a.n <= n).length
    if (algorithm === 'fixed-window') {
      if (admitted.length > limit) violations.push(`window ${start}: ${admitted.length} admitted > ${limit}`)
      if (denied.length > 0 && admitted.length !== limit)
        violations.push(`window ${start}: a denial, yet ${admitted.length} admitted, not ${limit}`)
      // Time order = rank order: the k-th admission (by server ms) left limit - k.
      admitted.forEach((a, k) => {
        if (a.d.remaining !== limit - k - 1)
          violations.push(`window ${start}: admission ${k + 1} at ${a.n} left ${a.d.remaining}`)
      })
      for (const e of denied)
        if (countUpTo(e.n) < limit)
          violations.push(`window ${start}: denial at ${e.n} after only ${countUpTo(e.n)} admissions`)
    } else {
      // The estimate x P: prev x (P - elapsed) + cur x P, with prev the previous window's count.
      const prev = admittedIn(w - 1).length
      const weight = (n: number) => prev * (P - (n - start))
      const remainingAt = (n: number, cur: number) =>
        Math.max(0, Math.floor((limit * P - weight(n) - cur * P) / P))
      admitted.forEach((a, k) => {
        // Same-ms admissions are ordered by remaining; the rank is k + 1 either way.
        const cur = k + 1
        if (weight(a.n) + cur * P > limit * P)
          violations.push(`window ${start}: admission ${cur} at ${a.n} over the estimate (prev ${prev})`)
        if (a.d.remaining !== remainingAt(a.n, cur))
          violations.push(`window ${start}: admission ${cur} at ${a.n} left ${a.d.remaining}`)
      })
      for (const e of denied) {
        // Admissions of the same ms precede a denial (nothing frees within a ms).
        const cur = countUpTo(e.n)
        if (weight(e.n) + (cur + 1) * P <= limit * P)
          violations.push(`window ${start}: denial at ${e.n} with room (prev ${prev}, cur ${cur})`)
      }
    }
  }
  const interior = interiorWindows(
    exact.map((e) => e.n),
    P,
  )
  // The test means something only if the demand saturated the windows: a window with a denial is
  // checked above to hold exactly what the algorithm allows. A window without one admitted every
  // request that reached Redis in it (at most `limit`, checked above): that takes a stall of this
  // loaded machine for most of a window, so a few are tolerated, not many.
  const saturated = interior.filter((w) => (byWindow.get(w) ?? []).some((e) => !e.d.allowed))
  if (saturated.length < MIN_SATURATED_WINDOWS)
    violations.push(`only ${saturated.length} of ${interior.length} windows inside the run saw a denial`)
  const perWindow = saturated.map((w) => admittedIn(w).length)
  return {
    violations,
    summary: {
      windows: byWindow.size,
      'saturated inside the run': `${saturated.length}/${interior.length}`,
      'admitted per saturated window': `${Math.min(...perWindow)}..${Math.max(...perWindow)}`,
    },
  }
}

/** Counts over admission brackets: `certain` lie inside [x, y] whatever their exact ms, `possible` may. */
function counter(admissions: readonly Timed[]) {
  const los = admissions.map((a) => a.lo).sort((a, b) => a - b)
  const his = admissions.map((a) => a.hi).sort((a, b) => a - b)
  /** How many of the sorted `xs` are < v. */
  const below = (xs: readonly number[], v: number) => {
    let lo = 0
    let hi = xs.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (xs[mid]! < v) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return {
    // lo <= y and hi >= x; an admission with hi < x also has lo < x <= y.
    possible: (x: number, y: number) => below(los, y + 1) - below(his, x),
    certain: (x: number, y: number) => admissions.filter((a) => a.lo >= x && a.hi <= y).length,
  }
}

/** Sliding log: no span of periodMs ms admits more than limit; each denial had limit in its window. */
export function checkLog(ds: readonly Timed[], limit: number, P: number): Checked {
  const violations = checkCommon(ds)
  const admissions = ds.filter((d) => d.allowed)
  const { possible, certain } = counter(admissions)
  // The most admissions certainly in one window [x, x + P - 1] is reached with x at some bracket's lo.
  let most = 0
  for (const a of admissions) {
    const c = certain(a.lo, a.lo + P - 1)
    most = Math.max(most, c)
    if (c > limit) violations.push(`${c} admissions within [${a.lo}, ${a.lo + P - 1}] > ${limit}`)
  }
  // Admitted at N: remaining = limit - (admissions in [N - P + 1, N], this one and same-ms ones included).
  for (const a of admissions) {
    const used = limit - a.remaining
    const sure = admissions.filter((b) => b !== a && b.hi < a.lo && b.lo >= a.hi - P + 1).length + 1
    const may = possible(a.lo - P + 1, a.hi)
    if (used < sure || used > may)
      violations.push(`admission in [${a.lo}, ${a.hi}] counted ${used}, observed ${sure}..${may}`)
  }
  for (const d of ds)
    if (!d.allowed) {
      let best = 0
      for (let n = d.lo; n <= d.hi; n++) best = Math.max(best, possible(n - P + 1, n))
      if (best < limit) violations.push(`denial in [${d.lo}, ${d.hi}] with at most ${best} in the window`)
    }
  return { violations, summary: { 'most in any window': most } }
}

/**
 * The buckets (token, leaky, GCRA: one meter): starting full, a request at N is admitted iff for
 * every s <= N, (admissions in [s, N], itself included) x P <= burst x P + limit x (N - s).
 */
export function checkBucket(ds: readonly Timed[], limit: number, P: number, burst: number): Checked {
  const violations = checkCommon(ds)
  const admissions = [...ds.filter((d) => d.allowed)].sort((a, b) => a.lo - b.lo)
  const { possible } = counter(admissions)
  // No over-admission: for x = each bracket's lo, the m-th smallest hi among brackets starting at
  // or after x bounds a span [x, hi] that certainly holds m admissions.
  let tightest = Number.POSITIVE_INFINITY
  for (let i = 0; i < admissions.length; i++) {
    const x = admissions[i]!.lo
    const his = admissions
      .filter((a) => a.lo >= x)
      .map((a) => a.hi)
      .sort((a, b) => a - b)
    for (const [k, y] of his.entries()) {
      const bound = burst + Math.floor((limit * (y - x)) / P)
      tightest = Math.min(tightest, bound - (k + 1))
      if (k + 1 > bound) {
        violations.push(`${k + 1} admissions within [${x}, ${y}] > ${bound}`)
        break // one per start point is enough to read
      }
    }
  }
  // No under-admission: a denial at N needs some s <= N with fewer than one unit left:
  // burst x P + limit x (N - s) - possible(s, N) x P < P. Only s = N or s = some hi can be the best.
  const ends = [...new Set(admissions.map((a) => a.hi))].sort((a, b) => a - b)
  for (const d of ds)
    if (!d.allowed) {
      let justified = false
      for (let n = d.lo; n <= d.hi && !justified; n++)
        for (const s of [n, ...ends.filter((h) => h <= n)])
          if (burst * P + limit * (n - s) - possible(s, n) * P < P) {
            justified = true
            break
          }
      if (!justified) violations.push(`denial in [${d.lo}, ${d.hi}] while a unit was left`)
    }
  const first = Math.min(...ds.map((d) => d.lo))
  const last = Math.max(...ds.map((d) => d.hi))
  return {
    violations,
    summary: {
      'arrival-curve bound over the run': burst + Math.floor((limit * (last - first)) / P),
      'least slack under the curve': tightest,
    },
  }
}
