/**
 * Where the configuration comes from, and hot reload.
 *
 * Two sources, one winner:
 * - the file or directory RATE_LIMITER_CONFIG names (or the bundled example), checked
 *   every RATE_LIMITER_CONFIG_POLL_MS: an edit, a `mv` over it, or a
 *   Kubernetes ConfigMap swap is picked up within one poll;
 * - an override PUT through the admin API, stored in the database (so every
 *   process, and a restarted one, serves it) and announced on the Bus (so
 *   the others take it at once rather than at their next poll). While an
 *   override exists it wins; deleting it goes back to the file.
 *
 * A text that does not parse is refused and the running config stays: a
 * reload can never leave the service without limits. Limiter state survives
 * reloads (see limiters.ts).
 */
import type { Bus, Subscription } from '../../platform/bus/port.js'
import type { Db } from '../../platform/db/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import { parseConfig, parseConfigFiles } from './config.js'
import { readConfigFiles } from './config-files.js'
import { ConfigLoadError, type ParseOptions, type RateLimiterConfig } from './config-model.js'

export const CONFIG_SUBJECT = 'rate-limiter.config-changed'

export interface LoadedConfig {
  readonly config: RateLimiterConfig
  readonly source: 'file' | 'admin'
  /** The file's path, or the override's version. */
  readonly origin: string
  readonly loadedAt: Date
}

export interface ConfigSourceOptions {
  file: string
  pollMs: number
  parse: ParseOptions
  db: Db
  bus: Bus
  log: Logger
  onReload: (ok: boolean) => void
}

export class ConfigSource {
  private loaded!: LoadedConfig
  private fileStamp = ''
  private overrideVersion = 0
  private timer: NodeJS.Timeout | undefined
  private subscription: Subscription | undefined
  private refreshing: Promise<void> | undefined
  /** The last load error, shown by the admin API until a load succeeds. */
  lastError: string | undefined

  constructor(private readonly opts: ConfigSourceOptions) {}

  /** The config decisions use now. */
  get current(): LoadedConfig {
    return this.loaded
  }

  /** Load at boot: a broken file (or override) stops the process with the error. */
  async init(): Promise<void> {
    const override = await this.readOverride()
    if (override)
      this.apply(parseConfig(override.yaml, 'admin override', this.opts.parse), 'admin', override.version)
    else {
      const { files, stamp } = await readConfigFiles(this.opts.file)
      this.fileStamp = stamp
      this.apply(parseConfigFiles(files, this.opts.parse), 'file', 0)
    }
  }

  /** Watch the file and the override; returns once subscribed. */
  async start(): Promise<void> {
    this.subscription = await this.opts.bus.subscribe(CONFIG_SUBJECT, async () => this.refresh())
    const tick = () => {
      this.timer = setTimeout(() => void this.refresh().finally(tick), this.opts.pollMs)
      this.timer.unref()
    }
    tick()
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.subscription?.close()
    await this.refreshing
  }

  /** Check both sources now (a poll, a Bus message, or POST /config/reload). Never throws. */
  refresh(): Promise<void> {
    this.refreshing ??= this.check().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async check(): Promise<void> {
    try {
      const override = await this.readOverride()
      if (override) {
        if (override.version !== this.overrideVersion || this.loaded.source !== 'admin')
          this.tryApply(
            () => parseConfig(override.yaml, 'admin override', this.opts.parse),
            'admin',
            override.version,
          )
        return
      }
      const { files, stamp } = await readConfigFiles(this.opts.file)
      if (stamp === this.fileStamp && this.loaded.source === 'file') return
      this.fileStamp = stamp
      this.tryApply(() => parseConfigFiles(files, this.opts.parse), 'file', 0)
    } catch (err) {
      // The file vanished or the database is away: keep serving what we have.
      this.fail(err instanceof Error ? err.message : String(err))
    }
  }

  /** Validate `yaml`, store it as the override every process serves, and announce it. Throws ConfigLoadError. */
  async putOverride(yaml: string): Promise<LoadedConfig> {
    const config = parseConfig(yaml, 'admin override', this.opts.parse)
    const { rows } = await this.opts.db.query<{ version: string }>(
      `INSERT INTO config_override (id, yaml, version) VALUES (1, $1, 1)
       ON CONFLICT (id) DO UPDATE SET yaml = EXCLUDED.yaml, version = config_override.version + 1, updated_at = now()
       RETURNING version`,
      [yaml],
    )
    this.apply(config, 'admin', Number(rows[0]!.version))
    await this.announce()
    return this.loaded
  }

  /** Remove the override: every process goes back to its file. */
  async deleteOverride(): Promise<boolean> {
    const { rows } = await this.opts.db.query('DELETE FROM config_override WHERE id = 1 RETURNING id')
    if (rows.length === 0) return false
    this.fileStamp = '' // force the file to be read again
    await this.refresh()
    await this.announce()
    return true
  }

  private async announce(): Promise<void> {
    await this.opts.bus.publish(CONFIG_SUBJECT, { at: Date.now() }).catch((err: unknown) => {
      this.opts.log.warn(
        { err },
        'rate limiter: could not announce the config change; others pick it up at their next poll',
      )
    })
  }

  private async readOverride(): Promise<{ yaml: string; version: number } | undefined> {
    const { rows } = await this.opts.db.query<{ yaml: string; version: string }>(
      'SELECT yaml, version FROM config_override WHERE id = 1',
    )
    return rows[0] ? { yaml: rows[0].yaml, version: Number(rows[0].version) } : undefined
  }

  private tryApply(parse: () => RateLimiterConfig, source: 'file' | 'admin', version: number): void {
    try {
      this.apply(parse(), source, version)
      this.opts.log.info({ source }, 'rate limiter: configuration reloaded')
    } catch (err) {
      this.fail(err instanceof ConfigLoadError ? err.message : String(err))
      if (source === 'admin') this.overrideVersion = version // do not retry the same broken text every poll
    }
  }

  private apply(config: RateLimiterConfig, source: 'file' | 'admin', version: number): void {
    this.loaded = {
      config,
      source,
      origin: source === 'file' ? this.opts.file : `version ${version}`,
      loadedAt: new Date(),
    }
    this.overrideVersion = source === 'admin' ? version : 0
    this.lastError = undefined
    this.opts.onReload(true)
  }

  private fail(message: string): void {
    if (message !== this.lastError)
      this.opts.log.error({ error: message }, 'rate limiter: configuration refused; the previous one stays')
    this.lastError = message
    this.opts.onReload(false)
  }
}
