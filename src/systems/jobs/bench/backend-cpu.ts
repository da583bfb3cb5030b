/**
 * The CPU one side of the jobs benchmark costs per job: its Node work (this process, where every
 * side runs) and the work of the PostgreSQL backends serving its connections, found by their
 * application_name (each side's connections carry its schema, sides.ts). On a machine loaded by
 * other work, jobs/s move with the share of the cores the side got; CPU per job moves far less, so
 * it is the figure to compare changes by (and it says where the cost is: Node or the database).
 *
 * Needs PostgreSQL on this machine (its backends' /proc/<pid>/stat); elsewhere the database's share
 * is not reported.
 */
import pg from 'pg'
import { cpuSeconds } from '../../../../bench/harness/proc.js'
import { testServiceUrls } from '../../../platform/config.js'

let admin: Promise<pg.Client> | undefined

/** One connection for the lookups, under an application_name no side has (it lives as long as the run). */
function adminClient(): Promise<pg.Client> {
  admin ??= (async () => {
    const c = new pg.Client({
      connectionString: testServiceUrls().databaseUrl,
      application_name: 'jobsbench-meter',
    })
    c.on('error', () => {})
    await c.connect()
    return c
  })()
  return admin
}

/** CPU seconds so far of each backend serving connections named `app`, by pid. */
async function backends(app: string): Promise<Map<number, number>> {
  const c = await adminClient()
  const { rows } = await c.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [app],
  )
  const out = new Map<number, number>()
  for (const r of rows) {
    const s = cpuSeconds(r.pid)
    if (s !== undefined) out.set(r.pid, s)
  }
  return out
}

/** CPU totals of one side over the slices measured so far. */
export interface CpuTotals {
  jobs: number
  nodeSec: number
  /** undefined when the database's backends cannot be read (not on this machine). */
  pgSec: number | undefined
}

/** Start measuring a slice of side `app`; the returned function adds the slice's CPU and `jobs` to `totals`. */
export async function meterSlice(app: string, totals: CpuTotals): Promise<(jobs: number) => Promise<void>> {
  const pg0 = await backends(app)
  const node0 = process.cpuUsage()
  return async (jobs) => {
    const node = process.cpuUsage(node0)
    const pg1 = await backends(app)
    totals.jobs += jobs
    totals.nodeSec += (node.user + node.system) / 1e6
    if (pg1.size === 0) totals.pgSec = undefined
    else if (totals.pgSec !== undefined) {
      // A backend that started during the slice counts from 0; one that ended is lost (pools keep theirs).
      for (const [pid, s] of pg1) totals.pgSec += s - (pg0.get(pid) ?? 0)
    }
  }
}

/** The figures for the subject's `measures()`: µs of CPU per job, Node, PostgreSQL and both. */
export function perJob(t: CpuTotals | undefined): Record<string, number> | undefined {
  if (!t || t.jobs === 0) return undefined
  const us = (sec: number) => Math.round((sec * 1e6) / t.jobs)
  return {
    'Node µs/job': us(t.nodeSec),
    ...(t.pgSec !== undefined && {
      'PostgreSQL µs/job': us(t.pgSec),
      'total µs/job': us(t.nodeSec + t.pgSec),
    }),
  }
}
