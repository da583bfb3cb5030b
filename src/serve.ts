/**
 * Run a process: build the app, start it, print where to look, and shut down
 * gracefully on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS (exit 0), or exit 1
 * if something hung. A bad configuration is one line on stderr and exit 2.
 */
import { type AppOverrides, buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './platform/config.js'
import { MigrationError } from './platform/db/migrate.js'

export async function serve(overrides: AppOverrides = {}, env = process.env): Promise<void> {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`blueprints: invalid configuration: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    app = await buildApp(config, overrides)
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MigrationError) {
      process.stderr.write(
        `blueprints: ${err instanceof ConfigError ? 'invalid configuration: ' : ''}${err.message}\n`,
      )
      process.exit(2)
    }
    process.stderr.write(`blueprints: cannot start: ${(err as Error).message}\n`)
    process.exit(1)
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

  const url = await app.start()
  const names = app.systems.map((s) => s.definition.name)
  log.info({ url, systems: names, db: app.db.kind, bus: app.bus.kind, redis: Boolean(app.redis) }, 'ready')
  process.stdout.write(
    `\nBlueprints is running (${names.length} system${names.length === 1 ? '' : 's'}: ${names.join(', ') || 'none'})\n` +
      `  console   ${url}/\n  API docs  ${url}/docs\n  OpenAPI   ${url}/openapi.json\n  metrics   ${url}/metrics\n\n`,
  )
}
