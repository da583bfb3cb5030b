/**
 * One process per embedded data folder. PGlite is one process's database: a
 * second process opening the same folder would write pages the first never
 * sees (and lose its own writes), so whoever opens PGlite in DATA_DIR holds
 * this lock for its whole life, and everyone else is refused with one line
 * naming the holder.
 *
 * The lock is a Unix socket the holder listens on (`DATA_DIR/blueprints.sock`):
 * - binding a socket path is atomic, so two processes starting together
 *   cannot both take it;
 * - liveness is a connect, not a pid: a socket file left behind by a holder
 *   killed with SIGKILL refuses connections, so it is taken over, and a pid
 *   reused by an unrelated process is never mistaken for the holder;
 * - the holder answers who it is (pid, how it was started, its URL), and runs
 *   CLI commands sent to it (control.ts), so a command typed beside a running
 *   server works instead of being refused. The socket is made 0600: only the
 *   folder's owner may talk to it, as only they may open the database files.
 */
import { constants } from 'node:fs'
import { access, chmod, mkdir, open, stat, unlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { StartupError } from '../startup-error.js'
import { ask, type CommandHandler, type HolderInfo, serveConnection } from './control.js'

export type { CommandHandler, HolderInfo } from './control.js'

/** Longest socket path we bind in place (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100
/** A takeover guard older than this was left by a process killed mid-takeover. */
const STALE_GUARD_MS = 10_000
/** How long a holder may take to say who it is (it may be busy opening PGlite). */
const WHO_TIMEOUT_MS = 10_000

/** The folder is held by another live process. */
export class DataDirBusyError extends StartupError {
  override name = 'DataDirBusyError'

  constructor(
    readonly dataDir: string,
    readonly socketPath: string,
    /** What the holder said about itself; undefined if it did not answer in time. */
    readonly holder: HolderInfo | undefined,
  ) {
    super(`DATA_DIR ${dataDir} is in use by ${describeHolder(holder)}; ${ONE_PROCESS}`, 'DATA_DIR')
  }
}

const ONE_PROCESS =
  'one process per embedded data folder: stop that process, set DATA_DIR to another folder, or set DATABASE_URL to share a PostgreSQL'

/** "pid 123 (npm start, since ..., serving http://...)" */
export function describeHolder(holder: HolderInfo | undefined): string {
  if (!holder) return `a process that did not say who it is within ${WHO_TIMEOUT_MS / 1000} s`
  const parts = [holder.command, `since ${holder.startedAt}`]
  if (holder.url) parts.push(`serving ${holder.url}`)
  return `pid ${holder.pid} (${parts.join(', ')})`
}

/** How this process was started, for the holder line: `npm start`, or the script and its arguments. */
export function describeLaunch(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): string {
  const script = argv[1] ? path.relative(process.cwd(), argv[1]) || argv[1] : 'node'
  const args = [script, ...argv.slice(2)].join(' ')
  const npmEvent = env.npm_lifecycle_event
  if (npmEvent)
    return `npm ${npmEvent === 'start' || npmEvent === 'test' ? npmEvent : `run ${npmEvent}`}: ${args}`
  return args
}

export interface DataDirLock {
  readonly dataDir: string
  readonly socketPath: string
  /** Add to what the holder tells others (its URL once listening, its systems). */
  update(info: Partial<Pick<HolderInfo, 'url' | 'systems'>>): void
  /** Run CLI commands sent by other processes with `handler` (the app does, once its systems run). */
  serveCommands(handler: CommandHandler | undefined): void
  /** Stop listening (the socket file goes too). Safe to call twice. */
  release(): Promise<void>
}

/**
 * Take the lock on `dataDir` (created if missing), or throw: DataDirBusyError
 * naming the live holder, StartupError naming DATA_DIR when the folder cannot
 * be created or written.
 */
export async function acquireDataDirLock(dataDir: string, command: string): Promise<DataDirLock> {
  await ensureWritable(dataDir)
  const socketPath = await socketPathFor(dataDir)
  const info: HolderInfo = {
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    commands: false,
  }
  let handler: CommandHandler | undefined
  const server = createServer((socket) => serveConnection(socket, info, () => handler))
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, socketPath)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50)
        throw cannotBind(dataDir, err)
    }
    const probe = await ask(socketPath, { op: 'who' }, WHO_TIMEOUT_MS)
    if (probe.kind === 'answered') throw new DataDirBusyError(dataDir, socketPath, probe.holder)
    if (probe.kind === 'silent') throw new DataDirBusyError(dataDir, socketPath, undefined)
    if (probe.kind === 'refused') await takeOver(server, socketPath)
    if (server.listening) break
    // Gone meanwhile, or another process is taking over: try again from the top.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100))
  }
  if (!socketPath.startsWith('\0') && process.platform !== 'win32') await chmod(socketPath, 0o600)
  let released: Promise<void> | undefined
  return {
    dataDir,
    socketPath,
    update(more) {
      Object.assign(info, more)
    },
    serveCommands(h) {
      handler = h
      info.commands = Boolean(h)
    },
    release() {
      released ??= new Promise<void>((resolve) => server.close(() => resolve()))
      return released
    },
  }
}

/**
 * The socket file is there but nobody listens (its holder was killed). Under a
 * guard file, so two processes taking over the same stale lock cannot unlink
 * each other's fresh socket: check again, unlink, listen.
 */
async function takeOver(server: Server, socketPath: string): Promise<void> {
  // An abstract socket or a pipe has no file to leave behind: its name is free again once its holder is gone.
  if (socketPath.startsWith('\0') || process.platform === 'win32') return
  const guardPath = `${socketPath}.takeover`
  let guard: Awaited<ReturnType<typeof open>>
  try {
    guard = await open(guardPath, 'wx')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const age = Date.now() - (await stat(guardPath).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs
    if (age > STALE_GUARD_MS) await unlink(guardPath).catch(() => undefined)
    return
  }
  try {
    const again = await ask(socketPath, { op: 'who' }, WHO_TIMEOUT_MS)
    if (again.kind !== 'refused') return // someone took it meanwhile: the caller's next attempt sees them
    await unlink(socketPath).catch(() => undefined)
    await listen(server, socketPath)
  } finally {
    await guard.close()
    await unlink(guardPath).catch(() => undefined)
  }
}

async function ensureWritable(dataDir: string): Promise<void> {
  try {
    await makeDir(dataDir)
    await access(dataDir, constants.W_OK)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new StartupError(
      `DATA_DIR ${dataDir} cannot be used: ${e.code ?? ''} ${reason(e)}`.trim(),
      'DATA_DIR',
    )
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `mkdir(..., { recursive: true })` never
 * returns on a path under /proc (it retries the ENOENT forever); this fails at once.
 */
async function makeDir(dir: string): Promise<void> {
  const missing: string[] = []
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await stat(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR' })
      break
    }
    missing.unshift(d)
    if (path.dirname(d) === d) break
  }
  for (const d of missing)
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
}

function cannotBind(dataDir: string, err: unknown): StartupError {
  const e = err as NodeJS.ErrnoException
  return new StartupError(
    `DATA_DIR ${dataDir} cannot be locked for this process: ${e.code ?? ''} ${reason(e)}`.trim(),
    'DATA_DIR',
  )
}

/** The error's message without Node's "EACCES: " prefix and the path it repeats. */
function reason(e: NodeJS.ErrnoException): string {
  return (e.message ?? String(e)).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')
}

/**
 * `DATA_DIR/blueprints.sock`; where that path is too long for a socket, an
 * abstract socket (Linux) or one in the temp folder, named by the folder's
 * device and inode so that every path to the same folder finds it.
 */
async function socketPathFor(dataDir: string): Promise<string> {
  const inPlace = path.join(dataDir, 'blueprints.sock')
  const { dev, ino } = await stat(dataDir)
  const id = `blueprints-${dev}-${ino}`
  if (process.platform === 'win32') return `\\\\?\\pipe\\${id}`
  if (Buffer.byteLength(inPlace) <= MAX_SOCKET_PATH) return inPlace
  return process.platform === 'linux' ? `\0${id}` : path.join(tmpdir(), `${id}.sock`)
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(socketPath, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
