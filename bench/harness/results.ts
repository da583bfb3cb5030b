/**
 * `bench/results/<system>.json`: the numbers behind a README table, with
 * what is needed to judge them (which CPU, which Node, pinned or not, how
 * many rounds of how long, when). Running one scenario updates that
 * scenario's entry and keeps the others, each with the run it came from.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import path from 'node:path'
import type { ScenarioResult } from '../types.js'
import { REPO_ROOT } from './child.js'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryMb: number
  node: string
  platform: string
  /** Whether the server ran on core 0 and the load generator on core 1. */
  pinned: boolean
}

export interface RunInfo {
  date: string
  rounds: number
  durationSec: number
  sliceSec: number
  warmupSec: number
  machine: MachineInfo
}

export interface ResultsFile {
  system: string
  /** The latest run that wrote this file. */
  run: RunInfo
  scenarios: (ScenarioResult & { run: RunInfo })[]
}

export function machineInfo(pinned: boolean): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    // cpus(), not availableParallelism(): the latter reflects this process's affinity (one core once pinned).
    cores: cpus().length,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    pinned,
  }
}

export function resultsPath(system: string): string {
  return path.join(REPO_ROOT, 'bench/results', `${system}.json`)
}

/** Merge this run's scenarios into the previous file's (by scenario name, in suite order). */
export function mergeResults(
  previous: ResultsFile | undefined,
  system: string,
  run: RunInfo,
  scenarios: readonly ScenarioResult[],
  order: readonly string[],
): ResultsFile {
  const byName = new Map<string, ScenarioResult & { run: RunInfo }>()
  for (const s of previous?.scenarios ?? []) byName.set(s.scenario, s)
  for (const s of scenarios) byName.set(s.scenario, { ...s, run })
  const rank = (name: string) => {
    const i = order.indexOf(name)
    return i < 0 ? order.length : i
  }
  return {
    system,
    run,
    scenarios: [...byName.values()].sort((a, b) => rank(a.scenario) - rank(b.scenario)),
  }
}

/** Write the results file; returns its path. */
export function writeResults(
  system: string,
  run: RunInfo,
  scenarios: readonly ScenarioResult[],
  order: readonly string[],
): string {
  const file = resultsPath(system)
  let previous: ResultsFile | undefined
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile
    } catch {
      previous = undefined // a corrupt file is replaced, not merged
    }
  }
  mkdirSync(path.dirname(file), { recursive: true })
  // NaN is not JSON: an unmeasurable value is written as null.
  const json = JSON.stringify(mergeResults(previous, system, run, scenarios, order), (_k, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v,
  )
  writeFileSync(file, `${JSON.stringify(JSON.parse(json), null, 2)}\n`)
  return file
}
