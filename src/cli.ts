/**
 * `blueprints <command>`:
 *   start                      run the server (same as `npm start`)
 *   migrate                    apply pending migrations of the selected systems, then exit
 *   systems                    list the registered systems
 *   <system> <command...>      a system's own command, e.g. `url-shortener api-key create`
 *   help
 * Configuration comes from the environment, as for `npm start`. On the
 * embedded database, a system command typed while a server holds DATA_DIR
 * runs inside that server (through the folder's control socket); anything
 * else is refused with one line naming the holder (exit 2).
 */
import { buildApp } from './app.js'
import { loadConfig } from './platform/config.js'
import { runInHolder } from './platform/data-dir/control.js'
import { DataDirBusyError } from './platform/data-dir/lock.js'
import { STARTUP_EXIT_CODE } from './platform/startup-error.js'
import { createLogger } from './platform/telemetry/logger.js'
import { serve, startupLine } from './serve.js'
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
  const args = cmdName ? rest.slice(cmdName.split(' ').length) : []
  // Building the app migrates every selected system; nothing listens.
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    app = await buildApp(config, { logger: createLogger(config.logLevel) })
  } catch (err) {
    if (!(err instanceof DataDirBusyError)) throw err
    return throughHolder(err, system?.name, cmdName, args)
  }
  try {
    if (!system || !cmdName) {
      out(`migrated: ${app.systems.map((s) => s.definition.name).join(', ') || '(no systems)'}`)
      return 0
    }
    const running = app.systems.find((s) => s.definition.name === system.name)!
    await system.commands![cmdName]!.run(running.context, args, out)
    return 0
  } finally {
    await app.close()
  }
}

/**
 * DATA_DIR is held by another process: run a system command inside it when it
 * runs that system and takes commands (a server does); otherwise one line
 * naming it, exit 2.
 */
async function throughHolder(
  busy: DataDirBusyError,
  system: string | undefined,
  command: string | undefined,
  args: string[],
): Promise<number> {
  const holder = busy.holder
  if (system && command && holder?.commands && holder.systems?.includes(system)) {
    process.stderr.write(`blueprints: running in pid ${holder.pid}, which holds DATA_DIR ${busy.dataDir}\n`)
    return runInHolder(busy.socketPath, { op: 'run', system, command, args }, out, (line) =>
      process.stderr.write(`blueprints: ${line}\n`),
    )
  }
  const why = !system
    ? ' (a running server applied its migrations when it started)'
    : holder?.commands
      ? ` (it does not run ${system}: see its SYSTEMS)`
      : ''
  process.stderr.write(`blueprints: ${busy.message}${why}\n`)
  return STARTUP_EXIT_CODE
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    const line = startupLine(err)
    process.stderr.write(`${line ?? `blueprints: ${err.message}`}\n`)
    process.exit(line ? STARTUP_EXIT_CODE : 1)
  },
)
