/**
 * What the kernel knows about a server process: its peak resident memory
 * and the CPU time it has used. Read from /proc, because the server is a
 * separate process (and may not be Node) and must not be asked to report on
 * itself while under load. Off Linux these return undefined and the table
 * says so rather than guessing.
 */
import { readFileSync } from 'node:fs'

/**
 * Peak resident set size (VmHWM, the high-water mark) in MiB. Read after
 * the rounds: it then covers start-up, warm-up and every round.
 */
export function peakRssMb(pid: number): number | undefined {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  return parseVmHwmMb(status)
}

/** Parse `VmHWM:   123456 kB` from a /proc/<pid>/status text. */
export function parseVmHwmMb(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)
  return m ? Number(m[1]) / 1024 : undefined
}

/**
 * USER_HZ, the unit of /proc/<pid>/stat times. The kernel fixes it at 100
 * for userspace on every architecture Node runs on; there is no portable
 * way to ask for it from Node without a native call.
 */
const CLOCK_TICKS_PER_SEC = 100

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  return parseStatCpuSeconds(stat)
}

/**
 * Fields 14 and 15 (utime, stime) of /proc/<pid>/stat. The command name
 * (field 2) is in parentheses and may contain spaces, so count fields from
 * the last ')'.
 */
export function parseStatCpuSeconds(stat: string): number | undefined {
  const close = stat.lastIndexOf(')')
  if (close < 0) return undefined
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/)
  // After the name, fields start at #3 (state): utime is #14 -> index 11, stime #15 -> index 12.
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined
  return (utime + stime) / CLOCK_TICKS_PER_SEC
}

/**
 * Measure the CPU a stretch of load costs the server and this
 * (load-generating) process. A load generator near a full core while the
 * server is well under it means the client, not the server, was measured.
 */
export function startCpuMeter(
  serverPid: number | undefined,
): () => { serverCpuSec?: number; loadCpuSec: number; wallSec: number } {
  const t0 = process.hrtime.bigint()
  const self0 = process.cpuUsage()
  const srv0 = serverPid === undefined ? undefined : cpuSeconds(serverPid)
  return () => {
    const wallSec = Number(process.hrtime.bigint() - t0) / 1e9
    const self = process.cpuUsage(self0)
    const loadCpuSec = (self.user + self.system) / 1e6
    const srv1 = serverPid === undefined ? undefined : cpuSeconds(serverPid)
    return srv0 !== undefined && srv1 !== undefined
      ? { serverCpuSec: srv1 - srv0, loadCpuSec, wallSec }
      : { loadCpuSec, wallSec }
  }
}
