/**
 * `blueprints <command>`:
 *   start                      run the server (same as `npm start`)
 *   migrate                    apply pending migrations of the selected systems, then exit
 *   systems                    list the registered systems
 *   <system> <command...>      a system's own command, e.g. `url-shortener api-key create`
 *   help
 * Configuration comes from the environment, as for `npm start`.
 */
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './platform/config.js'
import { MigrationError } from './platform/db/migrate.js'
import { createLogger } from './platform/telemetry/logger.js'
import { serve } from './serve.js'
import { systems } from './systems/index.js'

const out = (line: string) => process.stdout.write(`${line}\n`)

function usage(): string {
  const lines = [
    'usage: blueprints <command>',
    '',
    '  start                    run every selected system (SYSTEMS, default all)',
    '  migrate                  apply pending migrations, then exit',
    '  systems                  list the registered systems',
  ]
  const commands = systems.flatMap((s) =>
    Object.entries(s.commands ?? {}).map(([name, cmd]) => [`${s.name} ${name}`, cmd.summary] as const),
  )
  const width = Math.max(24, ...commands.map(([name]) => name.length + 1))
  for (const [name, summary] of commands) lines.push(`  ${name.padEnd(width)} ${summary}`)
  lines.push('  help                     this text')
  return lines.join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(usage())
    return command ? 0 : 2
  }
  if (command === 'start') {
    await serve()
    return -1 // keep running
  }
  if (command === 'systems') {
    for (const s of systems) out(`${s.name.padEnd(20)} ${s.description}`)
    return 0
  }
  const system = systems.find((s) => s.name === command)
  if (command !== 'migrate' && !system) {
    process.stderr.write(`blueprints: unknown command ${JSON.stringify(command)}\n${usage()}\n`)
    return 2
  }
  let cmdName: string | undefined
  if (system) {
    cmdName = Object.keys(system.commands ?? {}).find((name) => rest.join(' ').startsWith(name))
    if (!cmdName) {
      process.stderr.write(
        `blueprints: ${system.name} has no command ${JSON.stringify(rest.join(' '))}\n${usage()}\n`,
      )
      return 2
    }
  }
  const boot = loadConfig()
  // A command runs its own system only, and is quiet unless LOG_LEVEL says otherwise.
  const config = loadConfig({
    ...boot.env,
    LOG_LEVEL: boot.env.LOG_LEVEL || 'warn',
    ...(system ? { SYSTEMS: system.name } : {}),
  })
  // Building the app migrates every selected system; nothing listens.
  const app = await buildApp(config, { logger: createLogger(config.logLevel) })
  try {
    if (!system || !cmdName) {
      out(`migrated: ${app.systems.map((s) => s.definition.name).join(', ') || '(no systems)'}`)
      return 0
    }
    const running = app.systems.find((s) => s.definition.name === system.name)!
    const args = rest.slice(cmdName.split(' ').length)
    await system.commands![cmdName]!.run(running.context, args, out)
    return 0
  } finally {
    await app.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    const known = err instanceof ConfigError || err instanceof MigrationError
    process.stderr.write(
      `blueprints: ${err instanceof ConfigError ? 'invalid configuration: ' : ''}${err.message}\n`,
    )
    process.exit(known ? 2 : 1)
  },
)
