/**
 * The markdown table a run prints and a system's README quotes: one row per
 * subject, medians over rounds, the ratio that is the claim, and whether it
 * meets the goal the suite states. Pure formatting, so it is unit-tested.
 */
import type { ScenarioResult, SubjectResult } from '../types.js'
import { basisLabel } from './claim.js'
import { goalMet } from './stats.js'

const DASH = '—'

/** 12,345 */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : DASH
}

/** Latencies keep two significant decimals when small: 0.84 ms, 12.3 ms, 140 ms. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return DASH
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 100) return `${ms.toFixed(1)} ms`
  return `${Math.round(ms)} ms`
}

export function formatMb(mb: number | undefined): string {
  return mb === undefined || !Number.isFinite(mb) ? DASH : `${Math.round(mb)} MB`
}

export function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? DASH : r.toFixed(2)
}

/** The "goal met?" cell: yes/no against the goal; a system that had errors cannot meet a goal. */
export function goalCell(ratio: number | undefined, goal: number | undefined, systemErrors: number): string {
  const met = goalMet(ratio, goal)
  if (met === undefined) return goal === undefined ? DASH : `no ratio (goal ≥ ${goal})`
  if (met && systemErrors > 0) return `no: the system had errors (goal ≥ ${goal})`
  return met ? `yes (≥ ${goal})` : `**no** (< ${goal})`
}

function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
}

/**
 * The table of one scenario; `unit` is the throughput column's label (req/s for HTTP, ops/s otherwise).
 * The ratio column and the goal are the claimed ratio (per server CPU-second when the load generator
 * neared its core; see claim.ts), and its header says which.
 */
export function formatScenarioTable(result: ScenarioResult, unit = 'req/s'): string {
  const system = result.subjects.find((s) => s.role === 'system')
  const claimed = result.claim?.ratios ?? result.ratios
  const basis = basisLabel(result.claim?.basis ?? 'throughput', unit)
  const header = [
    'subject',
    'role',
    unit,
    'p50',
    'p99',
    'errors',
    'peak RSS',
    `ratio vs system (${basis})`,
    'goal met?',
  ]
  const align = ['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---']
  const lines = [row(header), row(align)]
  for (const s of result.subjects) {
    const isSystem = s === system
    const ratio = isSystem ? undefined : claimed[s.name]
    const goal = isSystem ? undefined : result.goals[s.name]
    lines.push(
      row([
        s.name,
        s.role,
        formatCount(s.opsPerSec),
        formatMs(s.p50Ms),
        formatMs(s.p99Ms),
        formatCount(s.errors),
        formatMb(s.peakRssMb),
        isSystem ? DASH : formatRatio(ratio),
        isSystem ? DASH : goalCell(ratio, goal, system?.errors ?? 0),
      ]),
    )
  }
  return lines.join('\n')
}

/** CPU use behind the numbers, so a reader can tell whether the server or the client was the limit. */
export function formatCpuLine(subjects: readonly SubjectResult[]): string | undefined {
  const parts = subjects
    .filter((s) => s.serverCpu !== undefined || s.loadCpu !== undefined)
    .map(
      (s) =>
        `${s.name} server ${s.serverCpu === undefined ? DASH : s.serverCpu.toFixed(2)}` +
        ` / load generator ${s.loadCpu === undefined ? DASH : s.loadCpu.toFixed(2)}`,
    )
  return parts.length > 0 ? `CPU during rounds (cores, median): ${parts.join('; ')}` : undefined
}

/** Work per server CPU-second and its ratio: the cross-check when the machine was busy. */
export function formatPerCpuLine(result: ScenarioResult): string | undefined {
  const subjects = result.subjects.filter((s) => s.opsPerCpuSec !== undefined)
  if (subjects.length === 0) return undefined
  const values = subjects.map((s) => `${s.name} ${formatCount(s.opsPerCpuSec!)}`).join(', ')
  const ratios = Object.entries(result.cpuRatios ?? {})
    .map(([name, r]) => `${formatRatio(r)} vs ${name}`)
    .join(', ')
  return `Per server CPU-second (median): ${values}${ratios ? `; ratio ${ratios}` : ''}`
}

/** Which ratio is the claim, and why; the other basis is given beside it for reference. */
export function formatClaimLine(result: ScenarioResult, unit = 'req/s'): string | undefined {
  const claim = result.claim
  if (!claim) return undefined
  const other = claim.basis === 'per-cpu' ? result.ratios : (result.cpuRatios ?? {})
  const otherLabel = basisLabel(claim.basis === 'per-cpu' ? 'throughput' : 'per-cpu', unit)
  const reference = Object.entries(other)
    .map(([name, r]) => `${formatRatio(r)} vs ${name}`)
    .join(', ')
  return (
    `Claimed ratio: ${basisLabel(claim.basis, unit)}, because ${claim.reason}` +
    (reference ? ` (${otherLabel} ratio for reference: ${reference})` : '')
  )
}

/** Heading, table, ratio spread, CPU line and notes of one scenario, as printed and as README-ready text. */
export function formatScenario(result: ScenarioResult, unit = 'req/s'): string {
  const out = [`### ${result.scenario}`, '', result.description, '', formatScenarioTable(result, unit), '']
  const claim = formatClaimLine(result, unit)
  if (claim) out.push(claim)
  for (const [name, rs] of Object.entries(result.ratioRounds ?? {}))
    if (rs.length > 1) out.push(`Per-round ratios vs ${name}: ${rs.map((r) => r.toFixed(3)).join(', ')}`)
  const cpu = formatCpuLine(result.subjects)
  if (cpu) out.push(cpu)
  const perCpu = formatPerCpuLine(result)
  if (perCpu) out.push(perCpu)
  for (const s of result.subjects)
    if (s.measures)
      out.push(
        `Measured on ${s.name}: ${Object.entries(s.measures)
          .map(
            ([k, v]) =>
              `${k} ${Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : DASH}`,
          )
          .join(', ')}`,
      )
  for (const note of result.notes ?? []) out.push(`Note: ${note}`)
  return out.join('\n').trimEnd()
}
