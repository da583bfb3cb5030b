/**
 * Start a server under test as a child process and wait until it answers.
 *
 * A separate process, not an in-process server: the server must get its own
 * core (the load generator has the other) and its own memory figures, and it
 * must run the way users run it. The URL is read from what the server prints
 * (PORT=0 lets the kernel pick a free port, so parallel runs never collide),
 * then a readiness URL is polled: "listening" is not "ready" for a server
 * that still migrates or warms caches.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StartedServer } from '../types.js'
import { currentCheckout } from './ab.js'
import { pinnedCommand, SERVER_CORE } from './pin.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Settings the runner applies to every child it starts (subjects' `start()` takes no arguments). */
const settings = { pin: false, nodeArgs: [] as string[] }

/** Pin children to the server core or not; extra Node flags for every child (e.g. `--cpu-prof`). */
export function configureChildren(opts: { pin?: boolean; nodeArgs?: string[] }): void {
  if (opts.pin !== undefined) settings.pin = opts.pin
  if (opts.nodeArgs !== undefined) settings.nodeArgs = [...opts.nodeArgs]
}

export interface ChildOptions {
  /** Label used in error messages. */
  name: string
  /** Script run by `node --import tsx`, relative to the repo root or absolute. */
  entry: string
  /** The child's whole environment beyond PATH/HOME/TMPDIR: nothing else leaks in from ours. */
  env?: Record<string, string>
  /** Find the base URL (no trailing slash) in one line of the child's stdout. */
  urlFromLine: (line: string) => string | undefined
  /** Path polled once the URL is known; ready when it answers `readyStatus` (default: any status < 500). */
  readyPath?: string
  readyStatus?: number
  /** Give up after this long (default 300 s: PGlite alone takes seconds on a busy machine, and several servers boot at once on one pinned core). */
  timeoutMs?: number
  /** Directories removed once the child has exited (its DATA_DIR). */
  cleanup?: string[]
  /**
   * Node flags for this child only, placed after `--import tsx` (so a `--import` of a .ts file works):
   * e.g. a suite's bench-only probe loaded into the server it measures, never into production.
   */
  nodeArgs?: string[]
  /**
   * The checkout the child runs in (default this one): another checkout of the repository, with its
   * own `src/`, runs as a subject beside this one (chat's bench: the code before a change).
   */
  cwd?: string
}

/** A started child: the contract's StartedServer plus its recent output, for diagnostics. */
export interface ChildServer extends StartedServer {
  output(): string
  readonly child: ChildProcess
}

const live = new Set<ChildProcess>()

const onSignal = (signal: NodeJS.Signals) => {
  for (const c of live) c.kill('SIGKILL')
  process.exit(signal === 'SIGINT' ? 130 : 143)
}
const onExit = () => {
  for (const c of live) c.kill('SIGKILL')
}

/**
 * Whatever happens to the harness (error, Ctrl-C), no server is left running
 * on the machine. The hooks exist only while a child does, so a process that
 * embeds the harness (the test runner) keeps its own signal handling after.
 */
function track(child: ChildProcess): void {
  if (live.size === 0) {
    process.on('exit', onExit)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  live.add(child)
}

function untrack(child: ChildProcess): void {
  if (!live.delete(child) || live.size > 0) return
  process.off('exit', onExit)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

/** The last `max` characters of everything the child printed, so a failed start explains itself. */
function tailBuffer(max = 16_384) {
  let text = ''
  return {
    add(line: string) {
      text += `${line}\n`
      if (text.length > max * 2) text = text.slice(-max)
    },
    get: () => (text.length > max ? text.slice(-max) : text),
  }
}

export async function startChild(opts: ChildOptions): Promise<ChildServer> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...opts.env,
  }
  const nodeArgs = [...settings.nodeArgs, '--import', 'tsx', ...(opts.nodeArgs ?? []), opts.entry]
  const { command, args } = pinnedCommand(settings.pin ? SERVER_CORE : undefined, process.execPath, nodeArgs)
  const child = spawn(command, args, {
    cwd: opts.cwd ?? currentCheckout() ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  const tail = tailBuffer()
  let url: string | undefined
  // Keep draining both pipes for the child's whole life: a full pipe would block its logger.
  createInterface({ input: child.stdout! }).on('line', (line) => {
    tail.add(line)
    url ??= opts.urlFromLine(line)
  })
  createInterface({ input: child.stderr! }).on('line', (line) => tail.add(line))
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      untrack(child)
      for (const dir of opts.cleanup ?? []) rmSync(dir, { recursive: true, force: true })
      resolve(signal ? `signal ${signal}` : `code ${code}`)
    })
    child.once('error', (err) => {
      untrack(child)
      resolve(`spawn error: ${err.message}`)
    })
  })
  let exitedWith: string | undefined
  void exited.then((how) => {
    exitedWith = how
  })

  const fail = (why: string): never => {
    child.kill('SIGKILL')
    throw new Error(`${opts.name} did not start: ${why}\n--- last output ---\n${tail.get().trimEnd()}`)
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000)
  for (;;) {
    if (exitedWith !== undefined) fail(`exited (${exitedWith})`)
    if (Date.now() > deadline) fail(`not ready within ${(opts.timeoutMs ?? 300_000) / 1000} s`)
    if (url !== undefined && (await isReady(url + (opts.readyPath ?? '/'), opts.readyStatus))) break
    await new Promise((r) => setTimeout(r, 100))
  }

  const pid = child.pid!
  const base = url!
  let stopping: Promise<void> | undefined
  return {
    url: base,
    pid,
    child,
    output: tail.get,
    stop() {
      stopping ??= (async () => {
        if (exitedWith !== undefined) return
        // SIGTERM first: servers drain and exit 0, which also writes `--cpu-prof` profiles.
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(killer)
      })()
      return stopping
    },
  }
}

async function isReady(url: string, status: number | undefined): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
    await res.arrayBuffer()
    return status === undefined ? res.status < 500 : res.status === status
  } catch {
    return false
  }
}
