/**
 * Run a process: build the app, start it, print where to look, and shut down
 * gracefully on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS (exit 0), or exit 1
 * if something hung. A bad configuration, and any reason to not start that the
 * operator can fix (a busy PORT, a DATA_DIR in use or not writable), is one
 * line on stderr and exit 2.
 */
import { type AppOverrides, buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './platform/config.js'
import { MigrationError } from './platform/db/migrate.js'
import { STARTUP_EXIT_CODE, StartupError } from './platform/startup-error.js'

/** The one line for an error the operator can fix, or undefined for a bug (which keeps its stack). */
export function startupLine(err: unknown): string | undefined {
  if (err instanceof ConfigError) return `blueprints: invalid configuration: ${err.message}`
  if (err instanceof StartupError || err instanceof MigrationError) return `blueprints: ${err.message}`
  return undefined
}

function exitWith(err: unknown): never {
  const line = startupLine(err)
  if (line) {
    process.stderr.write(`${line}\n`)
    process.exit(STARTUP_EXIT_CODE)
  }
  process.stderr.write(`blueprints: cannot start: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exit(1)
}

export async function serve(overrides: AppOverrides = {}, env = process.env): Promise<void> {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    exitWith(err)
  }
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    app = await buildApp(config, overrides)
  } catch (err) {
    exitWith(err)
  }
  const log = app.logger
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down')
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting with failure')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    app.close().then(
      () => {
        log.info('shut down cleanly')
        process.exit(0)
      },
      (err) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  let url: string
  try {
    url = await app.start()
  } catch (err) {
    // Release what was opened (the data folder's lock, PGlite, workers started) before saying why.
    await app.close().catch(() => undefined)
    exitWith(err)
  }
  const names = app.systems.map((s) => s.definition.name)
  log.info({ url, systems: names, db: app.db.kind, bus: app.bus.kind, redis: Boolean(app.redis) }, 'ready')
  process.stdout.write(
    `\nBlueprints is running (${names.length} system${names.length === 1 ? '' : 's'}: ${names.join(', ') || 'none'})\n` +
      `  console   ${url}/\n  API docs  ${url}/docs\n  OpenAPI   ${url}/openapi.json\n  metrics   ${url}/metrics\n\n`,
  )
}
