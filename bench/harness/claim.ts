/**
 * Which ratio a scenario claims. By default the req/s ratio (the median of
 * per-round ratios). But when the load generator nears its core on any row
 * (more than LOAD_NEAR_CORE of it), that row's req/s measure the client as
 * much as the server, and the req/s ratio flatters whoever is faster: the
 * claim is then the ratio of work per server CPU-second, which does not
 * depend on how fast the client could send. The run prints which one it
 * claims and why, records it in the results file, and READMEs quote it.
 */

/** A load generator above this share of its core is treated as the limit of its row. */
export const LOAD_NEAR_CORE = 0.85

export interface Claim {
  /** `throughput`: the req/s (ops/s) ratios; `per-cpu`: ratios of work per server CPU-second. */
  basis: 'throughput' | 'per-cpu'
  /** The claimed ratio against each other subject. */
  ratios: Record<string, number>
  /** One sentence: why this basis. */
  reason: string
}

/** What the claim is decided from: a scenario's summary (no import of types.ts, which imports this). */
interface Summary {
  subjects: readonly { name: string; loadCpu?: number }[]
  ratios: Record<string, number>
  cpuRatios?: Record<string, number>
}

/** The claim of a summarized scenario (see the module comment). */
export function claimOf(result: Summary): Claim {
  const busiest = result.subjects
    .filter((s) => s.loadCpu !== undefined)
    .sort((a, b) => (b.loadCpu ?? 0) - (a.loadCpu ?? 0))[0]
  const others = Object.keys(result.ratios)
  const cpu = result.cpuRatios ?? {}
  const perCpuComplete = others.length > 0 && others.every((name) => Number.isFinite(cpu[name]))
  if (busiest?.loadCpu !== undefined && busiest.loadCpu > LOAD_NEAR_CORE && perCpuComplete)
    return {
      basis: 'per-cpu',
      ratios: Object.fromEntries(others.map((name) => [name, cpu[name]!])),
      reason:
        `the load generator used ${pct(busiest.loadCpu)} of its core on the "${busiest.name}" row ` +
        `(over ${pct(LOAD_NEAR_CORE)}), so req/s there measure the client too`,
    }
  const reason =
    busiest?.loadCpu === undefined
      ? 'no CPU figures for the load generator'
      : `the load generator stayed at or under ${pct(LOAD_NEAR_CORE)} of its core (at most ${pct(busiest.loadCpu)}, "${busiest.name}")`
  return { basis: 'throughput', ratios: { ...result.ratios }, reason }
}

/** "per server CPU-second" or the throughput unit, for tables and sentences. */
export function basisLabel(basis: Claim['basis'], unit = 'req/s'): string {
  return basis === 'per-cpu' ? 'per server CPU-second' : unit
}

const pct = (x: number) => `${Math.round(x * 100)}%`
