/**
 * DB-less mode: the configuration is a file in Kong's declarative format (YAML or JSON), read at
 * start (a bad file stops the boot, naming the problem) and again whenever it changes (a bad edit
 * is logged and the last good configuration keeps serving). The file is the default workspace's
 * configuration; other workspaces need the database (`_workspace` is refused here).
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import { parse } from 'yaml'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { validatePluginConfig } from '../plugins/registry.js'
import { normalizeConfig } from './normalize.js'
import { ConfigViolation, type GatewayConfig, singleWorkspace, type WorkspaceConfigs } from './types.js'

const MAX_BYTES = 64 * 1024 * 1024

/** Parse a declarative document's text (YAML is a superset of JSON). */
export function parseDeclarative(text: string): GatewayConfig {
  let doc: unknown
  try {
    doc = parse(text, { maxAliasCount: 1000, uniqueKeys: true })
  } catch (err) {
    throw new ConfigViolation(
      `the declarative config is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`,
    )
  }
  return normalizeConfig(doc, validatePluginConfig)
}

export function readDeclarativeFile(file: string): GatewayConfig {
  const text = readFileSync(file)
  if (text.length > MAX_BYTES) throw new ConfigViolation(`${file} is larger than ${MAX_BYTES} bytes`)
  return parseDeclarative(text.toString('utf8'))
}

export class FileSource {
  private loads = 0
  private watching = false

  constructor(
    private readonly file: string,
    private readonly apply: (cfg: WorkspaceConfigs, version: number) => void,
    private readonly log: Logger,
    private readonly pollMs = 500,
  ) {}

  /** Load once (throws on a bad file) and watch for changes. */
  start(): void {
    this.apply(singleWorkspace(readDeclarativeFile(this.file)), ++this.loads)
    this.log.info({ file: this.file }, 'gateway: declarative config loaded')
    // watchFile polls stat: it survives editors and tools that replace the file by a rename.
    watchFile(this.file, { interval: this.pollMs, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return
      this.reload()
    })
    this.watching = true
  }

  reload(): void {
    try {
      this.apply(singleWorkspace(readDeclarativeFile(this.file)), ++this.loads)
      this.log.info({ file: this.file }, 'gateway: declarative config reloaded')
    } catch (err) {
      this.log.error(
        { err: (err as Error).message, file: this.file },
        'gateway: config change refused; the previous one keeps serving',
      )
    }
  }

  stop(): void {
    if (this.watching) unwatchFile(this.file)
    this.watching = false
  }
}
