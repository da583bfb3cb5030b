/**
 * The data folder's control socket: how a process finds out who holds
 * DATA_DIR, and how a CLI command runs inside the server that holds it.
 * Newline-delimited JSON, one request per connection:
 *   {"op":"who"}                                   -> {"holder":{...}}
 *   {"op":"run","system":S,"command":C,"args":[]}  -> {"out":"line"}* then {"exit":N,"error"?:"..."}
 */
import { connect, type Socket } from 'node:net'

/** What the holder of a data folder says about itself. */
export interface HolderInfo {
  pid: number
  /** How it was started: `npm start: src/main.ts`, `bin/blueprints.mjs url-shortener api-key create`. */
  command: string
  startedAt: string
  /** Its HTTP base URL, once it listens. */
  url?: string
  /** The systems it runs (commands of other systems cannot run there). */
  systems?: string[]
  /** Whether it runs CLI commands sent to it. */
  commands: boolean
}

export interface RunRequest {
  op: 'run'
  system: string
  command: string
  args: string[]
}

type Request = { op: 'who' } | RunRequest

/** Runs a CLI command in the holder; resolves to its exit code. Throw to fail it with a message. */
export type CommandHandler = (req: RunRequest, out: (line: string) => void) => Promise<number>

/** The largest request accepted (a command line). */
const MAX_REQUEST = 64 * 1024

/** Answer one connection of the control socket. */
export function serveConnection(
  socket: Socket,
  info: HolderInfo,
  handler: () => CommandHandler | undefined,
): void {
  let buf = ''
  socket.setEncoding('utf8')
  socket.on('error', () => undefined) // a client that went away
  const send = (msg: unknown) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`)
  }
  const onData = (chunk: string) => {
    buf += chunk
    if (buf.length > MAX_REQUEST) return void socket.destroy()
    const nl = buf.indexOf('\n')
    if (nl < 0) return
    socket.off('data', onData)
    let req: Request
    try {
      req = JSON.parse(buf.slice(0, nl)) as Request
    } catch {
      send({ exit: 2, error: 'malformed request' })
      return void socket.end()
    }
    if (req.op === 'who') {
      send({ holder: info })
      return void socket.end()
    }
    const run = handler()
    if (req.op !== 'run' || !run) {
      send({ exit: 2, error: req.op === 'run' ? 'this process does not run commands' : 'unknown op' })
      return void socket.end()
    }
    run(req, (line) => send({ out: line }))
      .then(
        (exit) => send({ exit }),
        (err: Error) => send({ exit: 1, error: err.message }),
      )
      .finally(() => socket.end())
  }
  socket.on('data', onData)
}

export type Probe =
  | { kind: 'answered'; holder: HolderInfo }
  /** Connected, but no answer in time: alive, and busy or stopped. */
  | { kind: 'silent' }
  /** The socket file is there and nobody listens: its holder died. */
  | { kind: 'refused' }
  /** No socket file (any more). */
  | { kind: 'absent' }

/** Ask the holder of `socketPath` who it is. */
export function ask(socketPath: string, req: { op: 'who' }, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    let buf = ''
    let connected = false
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ kind: 'silent' })
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => {
      connected = true
      socket.write(`${JSON.stringify(req)}\n`)
    })
    socket.on('data', (chunk: string) => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      socket.destroy()
      try {
        resolve({ kind: 'answered', holder: (JSON.parse(buf.slice(0, nl)) as { holder: HolderInfo }).holder })
      } catch {
        resolve({ kind: 'silent' })
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (connected) return resolve({ kind: 'silent' })
      // ECONNREFUSED: a file nobody listens on; ENOENT: no file; an abstract name unbound is refused too.
      resolve({ kind: err.code === 'ENOENT' ? 'absent' : 'refused' })
    })
    socket.on('close', () => {
      clearTimeout(timer)
      if (connected) resolve({ kind: 'silent' })
    })
  })
}

/**
 * Run a CLI command in the holder of `socketPath`, writing its output lines to
 * `out`; resolves to its exit code (the holder's error message, if any, to `err`).
 */
export function runInHolder(
  socketPath: string,
  req: RunRequest,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    let buf = ''
    let exit: number | undefined
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`))
    socket.on('data', (chunk: string) => {
      buf += chunk
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, nl)) as { out?: string; exit?: number; error?: string }
        buf = buf.slice(nl + 1)
        if (msg.out !== undefined) out(msg.out)
        if (msg.error) err(msg.error)
        if (msg.exit !== undefined) exit = msg.exit
      }
    })
    socket.on('error', (e) => {
      err(`the server holding DATA_DIR went away: ${e.message}`)
      exit ??= 1
    })
    socket.on('close', () => resolve(exit ?? 1))
  })
}
