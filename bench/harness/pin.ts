/**
 * CPU pinning. On a two-core machine a server and its load generator that
 * float between cores steal each other's time, and the numbers measure the
 * scheduler. So the server (and everything it spawns) runs on core 0 and the
 * load generator on core 1. Where `taskset` is missing or there is a single
 * core, nothing is pinned and the results say so.
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'

export const SERVER_CORE = 0
export const LOAD_CORE = 1

let tasksetPath: string | null | undefined

/** The `taskset` binary, or null when it is not installed. */
export function taskset(): string | null {
  if (tasksetPath !== undefined) return tasksetPath
  tasksetPath = null
  for (const candidate of ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' })
      tasksetPath = candidate
      break
    } catch {
      // not there: try the next
    }
  }
  return tasksetPath
}

/** Whether pinning is possible here: taskset exists and there are two cores to split. */
export function canPin(): boolean {
  return taskset() !== null && cpus().length >= 2
}

/**
 * The argv to spawn `command args` pinned to `core`. taskset execs the
 * command, so the spawned PID is the server's own (its /proc entries are
 * the ones we read), and threads it creates later inherit the mask.
 */
export function pinnedCommand(
  core: number | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  const bin = core === undefined ? null : taskset()
  if (bin === null || core === undefined) return { command, args: [...args] }
  return { command: bin, args: ['-c', String(core), command, ...args] }
}

/**
 * Pin this process (every thread: `-a`, so libuv's pool and V8's helpers
 * follow the main thread) to `core`. Returns false when it cannot.
 */
export function pinSelf(core: number): boolean {
  const bin = taskset()
  if (bin === null) return false
  try {
    execFileSync(bin, ['-a', '-pc', String(core), String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
