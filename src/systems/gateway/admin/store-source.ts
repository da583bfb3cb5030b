/**
 * DB mode: every node serves the stored configuration. A change made through any node's admin API
 * is applied there at once and announced on the Bus (`gateway.config`, a broadcast to every
 * process); each node then rereads the set. A lost message (the Bus down, a node restarting) is
 * caught by a poll of the version row. If the database is unreachable, the last configuration
 * keeps serving.
 */
import type { Bus, Subscription } from '../../../platform/bus/port.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { normalizeConfig } from '../config/normalize.js'
import type { GatewayConfig, WorkspaceConfigs } from '../config/types.js'
import { validatePluginConfig } from '../plugins/registry.js'
import type { ConfigStore, FlatDoc } from './store.pg.js'

export const CONFIG_SUBJECT = 'gateway.config'

/** One workspace's stored set, validated. */
export function configOf(doc: FlatDoc): GatewayConfig {
  return normalizeConfig(doc, validatePluginConfig)
}

/** Every workspace's stored set, validated one workspace at a time. */
export function configsOf(docs: ReadonlyMap<string, FlatDoc>): Map<string, GatewayConfig> {
  return new Map([...docs].map(([ws, doc]) => [ws, configOf(doc)]))
}

export class StoreSource {
  private current = -1
  private sub: Subscription | undefined
  private timer: NodeJS.Timeout | undefined
  private reloading: Promise<void> | undefined
  private again = false

  constructor(
    private readonly store: ConfigStore,
    private readonly bus: Bus,
    private readonly apply: (cfg: WorkspaceConfigs, version: number) => void,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  async start(): Promise<void> {
    await this.reload()
    this.sub = await this.bus.subscribe<{ version?: number }>(CONFIG_SUBJECT, async (msg) => {
      if ((msg.data?.version ?? Number.POSITIVE_INFINITY) > this.current) await this.reload()
    })
    const tick = async () => {
      try {
        if ((await this.store.version()) !== this.current) await this.reload()
      } catch (err) {
        this.log.warn(
          { err: (err as Error).message },
          'gateway: config store unreachable; serving the last configuration',
        )
      }
      this.timer = setTimeout(tick, this.pollMs).unref()
    }
    this.timer = setTimeout(tick, this.pollMs).unref()
  }

  /** Applied by the node that made a change, before the Bus brings it back. */
  applied(version: number, cfg: WorkspaceConfigs): void {
    if (version <= this.current) return
    this.current = version
    this.apply(cfg, version)
  }

  get version(): number {
    return this.current
  }

  /** Reread the set; concurrent calls coalesce into one more read after the running one. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.again = true
      return this.reloading
    }
    this.reloading = (async () => {
      do {
        this.again = false
        const { version, docs } = await this.store.load()
        if (version <= this.current) continue
        try {
          this.applied(version, configsOf(docs))
        } catch (err) {
          this.log.error(
            { err: (err as Error).message, version },
            'gateway: stored config refused; the previous one keeps serving',
          )
          this.current = version
        }
      } while (this.again)
    })().finally(() => {
      this.reloading = undefined
    })
    return this.reloading
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    await this.sub?.close()
    await this.reloading?.catch(() => {})
  }
}
