/**
 * Starters for the servers every suite needs: Blueprints itself (any entry
 * with any env, e.g. `SYSTEMS=url-shortener`), the platform fixture, and the
 * bare Fastify floor. Each returns a StartedServer for a subject's `start`.
 *
 * Blueprints runs at its shipped defaults (LOG_LEVEL=info, metrics on,
 * tracing as configured when no OTLP endpoint is set) on PGlite in a fresh
 * temporary DATA_DIR: what `npm start` gives a user, without state left by
 * an earlier run. Only what a suite passes in `env` changes that; nothing
 * from the shell that runs the bench leaks into the server.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type ChildServer, startChild } from './child.js'

export interface StartBlueprintsOptions {
  /** Environment for the server: SYSTEMS, DATABASE_URL, REDIS_URL, the systems' settings... */
  env?: Record<string, string>
  /** Entry file relative to the repo root (default `src/main.ts`). */
  entry?: string
  /** Label in error messages (default: the entry). */
  name?: string
  /** Readiness path (default `/readyz`, which checks the database and bus). */
  readyPath?: string
  /** Node flags for this server only (see `ChildOptions.nodeArgs`). */
  nodeArgs?: string[]
  /** Another checkout to run (see `ChildOptions.cwd`). */
  cwd?: string
}

/** The line `serve()` prints: `  console   http://127.0.0.1:41234/`. */
export function consoleUrlFromLine(line: string): string | undefined {
  const m = /^\s*console\s+(https?:\/\/\S+?)\/?\s*$/.exec(line)
  return m?.[1]
}

/** Start a Blueprints process; its DATA_DIR is a fresh temp dir (unless given), removed when it stops. */
export async function startBlueprints(opts: StartBlueprintsOptions = {}): Promise<ChildServer> {
  const ownDataDir = opts.env?.DATA_DIR === undefined
  const dataDir = opts.env?.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'bp-bench-'))
  const entry = opts.entry ?? 'src/main.ts'
  return startChild({
    name: opts.name ?? entry,
    entry,
    env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...opts.env, DATA_DIR: dataDir },
    urlFromLine: consoleUrlFromLine,
    readyPath: opts.readyPath ?? '/readyz',
    readyStatus: 200,
    cleanup: ownDataDir ? [dataDir] : [],
    ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  })
}

/** The full platform with only the fixture system (`/fixture/ping` and friends), at default settings. */
export function startFixturePlatform(env: Record<string, string> = {}): Promise<ChildServer> {
  return startBlueprints({ entry: 'src/platform/testing/fixture-main.ts', name: 'fixture platform', env })
}

/** `{"listening":"http://..."}`, the line bench servers print once they listen. */
export function listeningUrlFromLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(line) as { listening?: unknown }
    return typeof parsed.listening === 'string' ? parsed.listening : undefined
  } catch {
    return undefined
  }
}

/**
 * Bare Fastify (`bench/servers/bare-fastify.ts`). `env` sets its routes:
 * BARE_PING_PATH, BARE_REDIRECT_PATH, BARE_REDIRECT_LOCATION.
 */
export function startBareFastify(env: Record<string, string> = {}): Promise<ChildServer> {
  return startChild({
    name: 'bare fastify',
    entry: 'bench/servers/bare-fastify.ts',
    env: { PORT: '0', HOST: '127.0.0.1', ...env },
    urlFromLine: listeningUrlFromLine,
    readyPath: env.BARE_PING_PATH ?? '/fixture/ping',
    readyStatus: 200,
  })
}
