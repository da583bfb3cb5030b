/**
 * The gateway node's live state: the current configuration snapshot (swapped whole), the target
 * states that carry health across reloads, the upstream connection pools, and the proxy listener.
 * Config sources (the declarative file, or the admin API's store) call `apply`.
 */
import type { Redis } from 'ioredis'
import { createMemoryState, type MemoryState } from '../../platform/rate-limit/index.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { BreakerOptions } from './balancer/breaker.js'
import { RetryBudget } from './balancer/retry-budget.js'
import type { TargetState } from './balancer/target.js'
import { emptyConfig, type GatewayConfig, singleWorkspace, type WorkspaceConfigs } from './config/types.js'
import { type ProxyDeps, proxyHandler } from './proxy/handler.js'
import { TrustedProxies } from './proxy/headers.js'
import { Pools } from './proxy/pools.js'
import { ProxyServer } from './proxy/server.js'
import { Snapshot } from './proxy/snapshot.js'
import { upgradeHandler } from './proxy/upgrade.js'

export interface RuntimeOptions {
  redis: Redis | undefined
  log: Logger
  trustedIps: readonly string[]
  maxHeaderBytes: number
  headersTimeoutMs: number
  observe: ProxyDeps['observe']
  breakers: BreakerOptions
  retryBudget: { ratio: number; minPerSecond: number }
  retryMethods: ReadonlySet<string>
  onHealth?(target: TargetState, healthy: boolean, why: string): void
}

export class GatewayRuntime {
  readonly pools = new Pools()
  readonly targets = new Map<string, TargetState>()
  readonly server: ProxyServer
  private snap: Snapshot
  private readonly memory = new Map<number, MemoryState>()
  private readonly budgets = new Map<string, RetryBudget>()
  private readonly rt: ConstructorParameters<typeof Snapshot>[1]
  /** Version of the applied configuration (the store's, or a counter of file loads). */
  version = 0

  constructor(o: RuntimeOptions) {
    this.rt = {
      targets: this.targets,
      breakers: o.breakers,
      deps: {
        redis: o.redis,
        log: o.log,
        memoryState: (periodMs) => {
          let s = this.memory.get(periodMs)
          if (!s) {
            s = createMemoryState()
            this.memory.set(periodMs, s)
          }
          return s
        },
      },
      health: {
        onChange: (t, healthy, why) => {
          o.log.warn({ target: t.key, healthy, why }, healthy ? 'target healthy again' : 'target unhealthy')
          o.onHealth?.(t, healthy, why)
        },
      },
    }
    this.snap = new Snapshot(singleWorkspace(emptyConfig()), this.rt)
    const trusted = new TrustedProxies(o.trustedIps)
    const deps: ProxyDeps = {
      snapshot: () => this.snap,
      pools: this.pools,
      health: this.rt.health,
      trusted,
      port: () => this.server.port,
      observe: o.observe,
      log: o.log,
      retryMethods: o.retryMethods,
      budget: (id) => {
        let b = this.budgets.get(id)
        if (!b) {
          b = new RetryBudget(o.retryBudget.ratio, o.retryBudget.minPerSecond)
          this.budgets.set(id, b)
        }
        return b
      },
    }
    this.server = new ProxyServer(proxyHandler(deps), {
      maxHeaderBytes: o.maxHeaderBytes,
      headersTimeoutMs: o.headersTimeoutMs,
      log: o.log,
    })
    this.server.server.on('upgrade', upgradeHandler(deps, this.server.upgraded))
  }

  /** The default workspace's configuration as served. */
  get config(): GatewayConfig {
    return this.snap.config
  }

  /** Every workspace's configuration as served. */
  get configs(): WorkspaceConfigs {
    return this.snap.configs
  }

  snapshot(): Snapshot {
    return this.snap
  }

  /** Swap in a validated configuration; health checks of the old one stop, the new one's start. */
  apply(cfg: WorkspaceConfigs, version: number): void {
    const next = new Snapshot(cfg, this.rt)
    const prev = this.snap
    this.snap = next
    this.version = version
    prev.stop()
    next.start()
    this.pools.prune(new Set([...this.targets.values()].map((t) => t.origin)))
    const services = new Set([...cfg.values()].flatMap((c) => c.services.map((s) => s.id)))
    for (const id of this.budgets.keys()) if (!services.has(id)) this.budgets.delete(id)
  }

  async close(): Promise<void> {
    this.snap.stop()
    await this.server.close()
    await this.pools.close()
  }
}
