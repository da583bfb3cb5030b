/**
 * `npm run bench -- <system> [scenario] [--rounds N] [--duration S] [--warmup S] [--smoke] [--cpu-prof]`
 *
 * Runs a system's benchmark suite side by side with its baselines and peers
 * (see bench/README.md): servers on core 0, this process (the load
 * generator) on core 1, warm-up, then interleaved rounds. Prints one
 * markdown table per scenario on stdout (progress goes to stderr, so stdout
 * can be pasted into a README) and writes bench/results/<system>.json.
 *
 * Exit codes: 0 done; 1 a subject failed to start or every request to it
 * failed; 2 bad usage. Timings never fail a run: benchmarks are not tests.
 */
import path from 'node:path'
import { resolveCheckout, withBefore } from './harness/ab.js'
import { parseBenchArgs, USAGE, UsageError } from './harness/args.js'
import { configureChildren, REPO_ROOT } from './harness/child.js'
import { canPin, LOAD_CORE, pinSelf } from './harness/pin.js'
import { machineInfo, writeResults } from './harness/results.js'
import { runSuite, selectScenarios } from './harness/runner.js'
import { loadSuite } from './harness/suites.js'
import { formatScenario } from './harness/table.js'
import type { BenchSuite } from './types.js'

const err = (line: string) => process.stderr.write(`${line}\n`)

async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>
  let suite: BenchSuite
  try {
    args = parseBenchArgs(argv)
    if (!args) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    // Suites that open thousands of connections shrink them in a smoke run (read at import).
    if (args.smoke) process.env.BENCH_SMOKE = '1'
    suite = await loadSuite(args.system)
    if (args.before) suite = withBefore(suite, resolveCheckout(args.before))
    selectScenarios(suite, args.scenario)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    err(`bench: ${e.message}`)
    if (argv.filter((a) => !a.startsWith('-')).length === 0) err(USAGE)
    return 2
  }

  // The load generator takes core 1 before it starts anything; servers get core 0.
  const pinned = canPin() && pinSelf(LOAD_CORE)
  const profileDir = path.join(REPO_ROOT, 'bench/results/profiles')
  configureChildren({
    pin: pinned,
    nodeArgs: args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  })
  const machine = machineInfo(pinned)
  err(
    `bench ${suite.system}${args.scenario ? ` ${args.scenario}` : ''}: ` +
      (args.smoke
        ? 'smoke (1 round of 1 s, no warm-up; timings mean nothing)'
        : `${args.rounds} rounds of ${args.durationSec} s per subject in ${args.sliceSec} s slices, warm-up ${args.warmupSec} s`) +
      ` | ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}` +
      ` | ${pinned ? `servers on core 0, load on core ${LOAD_CORE}` : 'not pinned (no taskset or a single core)'}`,
  )
  if (!args.smoke && args.durationSec < 5)
    err('bench: runs shorter than 5 s are dominated by JIT and GC noise')

  const date = new Date().toISOString()
  const { results, failures } = await runSuite(suite, {
    rounds: args.rounds,
    durationSec: args.durationSec,
    warmupSec: args.warmupSec,
    sliceSec: args.sliceSec,
    scenario: args.scenario,
    log: err,
  })

  const out: string[] = []
  for (const r of results) {
    const scenario = suite.scenarios.find((s) => s.name === r.scenario)
    const unit = scenario?.subjects.every((s) => s.load.kind === 'http') ? 'req/s' : 'ops/s'
    out.push(formatScenario(r, unit))
  }
  const command = `npm run bench -- ${[suite.system, args.scenario, args.before && '--before <checkout>'].filter(Boolean).join(' ')}`
  if (out.length > 0)
    process.stdout.write(
      `\n${out.join('\n\n')}\n\n` +
        `${machine.cpuModel}, ${machine.cores} cores${pinned ? ' (server pinned to core 0, load to core 1)' : ''}, ` +
        `Node ${machine.node}, ${args.rounds} round(s) of ${args.durationSec} s per subject ` +
        `(alternating every ${args.sliceSec} s), ${date.slice(0, 10)}. ` +
        `Command: \`${command}\`\n`,
    )

  if (args.cpuProf)
    err(`bench: CPU profiles in ${path.relative(process.cwd(), profileDir)}/ (one per server pid)`)
  // Profiled servers run slower: their numbers are not results; an A/B run compares two builds.
  if (args.before)
    err('bench: A/B run (--before): read the ratio against "(before)"; no results file written')
  if (!args.smoke && !args.cpuProf && !args.before && results.length > 0) {
    const file = writeResults(
      suite.system,
      {
        date,
        rounds: args.rounds,
        durationSec: args.durationSec,
        sliceSec: args.sliceSec,
        warmupSec: args.warmupSec,
        machine,
      },
      results,
      suite.scenarios.map((s) => s.name),
    )
    err(`bench: wrote ${path.relative(process.cwd(), file)}`)
  }
  for (const f of failures) err(`bench: FAILED ${f}`)
  return failures.length > 0 ? 1 : 0
}

// Exit explicitly: a stray handle in a subject's driver must not keep a finished bench alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    err(`bench: ${(e as Error).stack ?? e}`)
    process.exit(1)
  },
)
