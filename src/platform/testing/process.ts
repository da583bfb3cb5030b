/**
 * Start a real server as a child process (the way users and orchestrators
 * run it), find its URL from stdout, and wait for `/readyz`. Used by the
 * graceful-shutdown, crash and multi-process tests.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or signal name) once the process exits. */
  exited: Promise<number | string>
  kill(signal?: NodeJS.Signals): void
}

export interface StartOptions {
  /** Entry file relative to the repo root (default: the fixture server). */
  entry?: string
  env?: Record<string, string>
  timeoutMs?: number
}

export interface SpawnedEntry {
  child: ChildProcess
  /** Everything the process wrote so far. */
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or signal name) once the process exits. */
  exited: Promise<number | string>
}

/** Spawn `entry` under tsx from the repo root with exactly `env` (plus PATH and HOME), collecting its output. */
export function spawnEntry(entry: string, env: Record<string, string>): SpawnedEntry {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  )
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Spawn `entry` with PORT=0 and a fresh DATA_DIR unless given; resolves once /readyz answers 200. */
export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const entry = opts.entry ?? 'src/platform/testing/fixture-main.ts'
  const env: Record<string, string> = {
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bp-data-')),
    OTEL_TRACES_EXPORTER: 'none',
    ...opts.env,
  }
  const { child, stdout, stderr, exited } = spawnEntry(entry, env)
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  let url: string | undefined
  let exitedEarly: number | string | undefined
  exited.then((c) => {
    exitedEarly = c
  })
  while (Date.now() < deadline && exitedEarly === undefined) {
    url ??= /console\s+(http:\/\/[^\s/]+)\//.exec(stdout())?.[1]
    if (url) {
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ok) break
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  if (!url || exitedEarly !== undefined || Date.now() >= deadline) {
    child.kill('SIGKILL')
    throw new Error(`server ${entry} did not become ready (exit ${exitedEarly}):\n${stdout()}\n${stderr()}`)
  }
  return {
    child,
    url,
    stdout,
    stderr,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
  }
}

/** Run `entry` to completion and return its exit code and output (config errors, CLI). */
export function runToExit(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        OTEL_TRACES_EXPORTER: 'none',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${entry} did not exit within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
