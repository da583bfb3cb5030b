/**
 * A/B mode (`--before <checkout>`): measure a change against the code before
 * it, interleaved in one run. Each scenario's system subject is run twice:
 * from this checkout, and from another checkout of the repository (say,
 * `main` in a second git worktree with its own node_modules) as the
 * baseline `<name> (before)`. The rounds alternate the two slice by slice
 * like any other subjects, so both see the same bursts of the machine's other
 * work, and the per-round ratio `system / <name> (before)` is the change's
 * effect; on a loaded machine read its per server CPU-second ratio.
 *
 * Servers started through `startChild` (startBlueprints, startChild) run in
 * the checkout of the subject being started: the start runs inside
 * `inCheckout`, which `currentCheckout()` reads (AsyncLocalStorage follows
 * the start's awaits). An in-process suite (the jobs sides) reads
 * `currentCheckout()` itself and imports its code from there.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { BenchScenario, BenchSubject, BenchSuite } from '../types.js'
import { UsageError } from './args.js'

const checkout = new AsyncLocalStorage<string>()

/** The checkout the subject being started runs from; undefined for this one. */
export function currentCheckout(): string | undefined {
  return checkout.getStore()
}

/** Run `fn` (a subject's start) as if from checkout `dir`. */
export function inCheckout<T>(dir: string, fn: () => T): T {
  return checkout.run(dir, fn)
}

/** The row label of the system subject's copy from the other checkout. */
export const beforeName = (name: string) => `${name} (before)`

/** `dir` as an absolute path, refused unless it looks like a checkout of this repository. */
export function resolveCheckout(dir: string): string {
  const abs = path.resolve(dir)
  if (!existsSync(path.join(abs, 'src/main.ts')))
    throw new UsageError(`--before ${dir}: not a checkout of this repository (no src/main.ts)`)
  if (!existsSync(path.join(abs, 'node_modules')))
    throw new UsageError(`--before ${dir}: has no node_modules (run npm ci there, or link this one's)`)
  return abs
}

type StartFn = NonNullable<BenchSubject['start']>

/**
 * The suite with every scenario's system subject doubled: the copy, named `<name> (before)`, is a
 * baseline started from `dir` with the same prepare and load. A start function shared by several
 * scenarios stays shared by their copies (one server per checkout). Peers and floors are kept, so
 * the table also shows both builds against them.
 */
export function withBefore(suite: BenchSuite, dir: string): BenchSuite {
  const wrapped = new Map<StartFn, StartFn>()
  const wrap = (fn: StartFn): StartFn => {
    let w = wrapped.get(fn)
    if (!w) {
      w = () => inCheckout(dir, fn)
      wrapped.set(fn, w)
    }
    return w
  }
  const scenario = (sc: BenchScenario): BenchScenario => {
    const i = sc.subjects.findIndex((s) => s.role === 'system')
    if (i < 0) return sc
    const sys = sc.subjects[i]!
    const before: BenchSubject = {
      ...sys,
      name: beforeName(sys.name),
      role: 'baseline',
      ...(sys.start ? { start: wrap(sys.start) } : {}),
      // Read in the other checkout's context too, so a suite can tell which side's figures to give.
      ...(sys.measures ? { measures: () => inCheckout(dir, sys.measures!) } : {}),
    }
    const subjects = [...sc.subjects]
    subjects.splice(i + 1, 0, before)
    return {
      ...sc,
      subjects,
      description: `${sc.description} A/B: "${before.name}" is the same subject run from the --before checkout.`,
    }
  }
  return { ...suite, scenarios: suite.scenarios.map(scenario) }
}
