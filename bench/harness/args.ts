/**
 * The command line of `npm run bench -- <system> [scenario] [options]`.
 * Bad input is a one-line UsageError, never a stack trace.
 */
import { parseArgs } from 'node:util'

export const USAGE = `usage: npm run bench -- <system> [scenario] [--rounds N] [--duration S] [--warmup S] [--slice S] [--smoke] [--cpu-prof]

  <system>      platform, or a system with src/systems/<system>/bench.ts
  [scenario]    run only this scenario of the suite (or several: a,b,c)
  --rounds N    measured rounds per subject, interleaved A B A B ... (default 5, at least 3)
  --duration S  seconds of load per subject per round (default 10)
  --slice S     within a round, alternate subjects every S seconds (default 2)
  --warmup S    seconds of warm-up per subject before the rounds (default 10)
  --smoke       1 round of 1 s, no warm-up, no results file: checks the bench still works (CI)
  --cpu-prof    write a V8 CPU profile of every server to bench/results/profiles/ (no results file)
  --before DIR  A/B: also run each scenario's system from DIR, another checkout (with node_modules), as
                the baseline "<name> (before)", interleaved with this one (no results file)`

export class UsageError extends Error {
  override name = 'UsageError'
}

export interface BenchArgs {
  system: string
  scenario: string | undefined
  rounds: number
  durationSec: number
  warmupSec: number
  sliceSec: number
  smoke: boolean
  cpuProf: boolean
  /** Another checkout whose system runs beside this one's (A/B); undefined: none. */
  before: string | undefined
}

/** Warm-up 10 s: under load the full platform reaches its steady rate only after 6-9 s (JIT of the hook chain). */
export const DEFAULTS = { rounds: 5, durationSec: 10, warmupSec: 10, sliceSec: 2 } as const
export const SMOKE = { rounds: 1, durationSec: 1, warmupSec: 0, sliceSec: 1 } as const
/** A median of fewer rounds is one round's luck; the README quotes nothing measured with less. */
export const MIN_ROUNDS = 3

function num(
  name: string,
  value: string | undefined,
  fallback: number,
  ok: (n: number) => boolean,
  want: string,
) {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new UsageError(`--${name} must be ${want}, got ${JSON.stringify(value)}`)
  return n
}

/** Parse argv (without node and the script); returns undefined for --help. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | undefined {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return undefined
  const [system, scenario, ...extra] = positionals
  if (!system) throw new UsageError('name the system to benchmark (e.g. platform)')
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  const smoke = values.smoke ?? false
  const rounds = num(
    'rounds',
    values.rounds,
    DEFAULTS.rounds,
    (n) => Number.isInteger(n) && n >= 1,
    'a whole number ≥ 1',
  )
  if (!smoke && rounds < MIN_ROUNDS)
    throw new UsageError(
      `--rounds must be at least ${MIN_ROUNDS} (medians of fewer are noise); use --smoke for a quick check`,
    )
  const durationSec = num(
    'duration',
    values.duration,
    DEFAULTS.durationSec,
    (n) => n > 0 && n <= 3600,
    'seconds in (0, 3600]',
  )
  const sliceSec = num(
    'slice',
    values.slice,
    DEFAULTS.sliceSec,
    (n) => n >= 1 && n <= 3600,
    'seconds in [1, 3600]',
  )
  const warmupSec = num(
    'warmup',
    values.warmup,
    DEFAULTS.warmupSec,
    (n) => n >= 0 && n <= 3600,
    'seconds in [0, 3600]',
  )
  return {
    system,
    scenario,
    smoke,
    cpuProf: values['cpu-prof'] ?? false,
    before: values.before,
    ...(smoke ? SMOKE : { rounds, durationSec, warmupSec, sliceSec }),
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      slice: { type: 'string' },
      smoke: { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      before: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
