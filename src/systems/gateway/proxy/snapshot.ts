/**
 * One configuration (every workspace's), compiled for the proxy: one router over all routes, a
 * balancer per service, and per workspace the plugin instances indexed for Kong's precedence and the
 * credential lookups. Built whole on every reload
 * and swapped in one assignment, so a request sees one configuration from start to end. Target
 * health and rate-limit counters live outside it (in the runtime) and survive reloads.
 */

import { Balancer } from '../balancer/balancer.js'
import { type BreakerOptions, newBreaker } from '../balancer/breaker.js'
import { ActiveChecker, type HealthEvents } from '../balancer/health.js'
import { splitHostPort, TargetState } from '../balancer/target.js'
import { hashKey } from '../config/key-hash.js'
import {
  type Consumer,
  DEFAULT_WORKSPACE,
  emptyConfig,
  type GatewayConfig,
  type JwtSecret,
  type Route,
  type Service,
  type Upstream,
  type WorkspaceConfigs,
} from '../config/types.js'
import { PLUGINS } from '../plugins/registry.js'
import type { CredentialLookup, PluginDeps, PluginInstance } from '../plugins/types.js'
import { Router } from '../router/router.js'

/** Kong's precedence: the most specific configuration of a plugin wins (see README). */
const PRECEDENCE: [route: boolean, service: boolean, consumer: boolean][] = [
  [true, true, true],
  [true, false, true],
  [false, true, true],
  [true, true, false],
  [false, false, true],
  [true, false, false],
  [false, true, false],
  [false, false, false],
]

export class PluginIndex {
  /** Plugin names configured anywhere, highest priority first (Kong's execution order). */
  readonly names: string[]
  private readonly byName = new Map<string, Map<string, PluginInstance>>()
  private readonly perConsumer = new Set<string>()

  constructor(instances: PluginInstance[]) {
    for (const i of instances) {
      const e = i.entity
      const m = this.byName.get(e.name) ?? new Map<string, PluginInstance>()
      this.byName.set(e.name, m)
      m.set(`${e.route ?? ''}|${e.service ?? ''}|${e.consumer ?? ''}`, i)
      if (e.consumer) this.perConsumer.add(e.name)
    }
    this.names = [...this.byName.keys()].sort((a, b) => PLUGINS.get(b)!.priority - PLUGINS.get(a)!.priority)
  }

  /** Whether a consumer-scoped configuration of `name` exists (then it is looked up per consumer). */
  consumerScoped(name: string): boolean {
    return this.perConsumer.has(name)
  }

  resolve(
    name: string,
    route: string,
    service: string | undefined,
    consumer: string | undefined,
  ): PluginInstance | undefined {
    const m = this.byName.get(name)
    if (!m) return undefined
    for (const [r, s, c] of PRECEDENCE) {
      if ((c && !consumer) || (s && !service)) continue
      const hit = m.get(`${r ? route : ''}|${s ? service : ''}|${c ? consumer : ''}`)
      if (hit) return hit
    }
    return undefined
  }
}

export interface Runtime {
  /** Target states by key, reused across snapshots so health and load carry over. */
  targets: Map<string, TargetState>
  deps: Omit<PluginDeps, 'workspace'>
  breakers: BreakerOptions
  health: HealthEvents
}

/** One workspace's compiled parts: plugins and credentials never cross a workspace's edge. */
export interface WorkspaceParts {
  readonly name: string
  readonly plugins: PluginIndex
  readonly lookup: CredentialLookup
}

/** Target-state key: the default workspace keeps the plain form (metrics labels stay as they were). */
export function targetKey(workspace: string, key: string): string {
  return workspace === DEFAULT_WORKSPACE ? key : `${workspace}:${key}`
}

export class Snapshot {
  readonly router: Router
  readonly balancers = new Map<string, Balancer>()
  readonly checkers: ActiveChecker[] = []
  /** The workspace of each route id (ids are unique across workspaces). */
  private readonly routeWorkspace = new Map<string, WorkspaceParts>()
  readonly workspaces = new Map<string, WorkspaceParts>()

  constructor(
    readonly configs: WorkspaceConfigs,
    rt: Runtime,
  ) {
    const used = new Set<string>()
    const stateFor = (key: string, host: string, port: number, weight: number) => {
      let t = rt.targets.get(key)
      if (!t || t.host !== host || t.port !== port) {
        t = new TargetState(key, host, port, weight)
        t.attachBreaker(newBreaker(rt.breakers), rt.breakers.halfOpenMs)
        rt.targets.set(key, t)
      }
      t.weight = weight
      used.add(key)
      return t
    }
    // One router over every workspace's routes: a request finds its route, and so its workspace.
    const services: Service[] = []
    const routes: Route[] = []
    for (const [ws, config] of configs) {
      const enabledServices = new Set(config.services.filter((s) => s.enabled).map((s) => s.id))
      services.push(...config.services)
      routes.push(...config.routes.filter((r) => !r.service || enabledServices.has(r.service)))
      this.compileWorkspace(ws, config, rt, stateFor)
    }
    this.router = new Router({ ...emptyConfig(), services, routes })
    for (const key of rt.targets.keys()) if (!used.has(key)) rt.targets.delete(key)
  }

  private compileWorkspace(
    ws: string,
    config: GatewayConfig,
    rt: Runtime,
    stateFor: (key: string, host: string, port: number, weight: number) => TargetState,
  ): void {
    const upstreams = new Map<string, Upstream>(config.upstreams.map((u) => [u.name, u]))
    const byUpstream = new Map<string, Balancer>()
    for (const u of config.upstreams) {
      const targets = config.targets
        .filter((t) => t.upstream === u.id)
        .map((t) => {
          const { host, port } = splitHostPort(t.target, 8000)
          const key = targetKey(ws, `${u.name}/${t.target}`)
          return stateFor(key, host.replace(/^\[|\]$/g, ''), port, t.weight)
        })
      byUpstream.set(u.name, new Balancer(u, targets))
      const checker = new ActiveChecker(u.healthchecks, targets, rt.health)
      if (checker.enabled) this.checkers.push(checker)
    }
    for (const s of config.services) {
      const u = upstreams.get(s.host)
      this.balancers.set(
        s.id,
        u
          ? byUpstream.get(u.name)!
          : new Balancer(undefined, [
              stateFor(targetKey(ws, `direct/${s.host}:${s.port}`), s.host, s.port, 100),
            ]),
      )
    }

    const plugins = new PluginIndex(
      config.plugins
        .filter((p) => p.enabled)
        .map((p) => PLUGINS.get(p.name)!.create(p, { ...rt.deps, workspace: ws })),
    )
    const consumers = new Map<string, Consumer>()
    for (const c of config.consumers) {
      consumers.set(c.id, c)
      if (c.username) consumers.set(c.username, c)
    }
    const customIds = new Map(config.consumers.filter((c) => c.custom_id).map((c) => [c.custom_id!, c]))
    const keys = new Map(
      config.keyauth_credentials.map((k) => [k.key_hash, { id: k.id, consumer: k.consumer }]),
    )
    const jwts = new Map<string, JwtSecret>(config.jwt_secrets.map((j) => [j.key, j]))
    const parts: WorkspaceParts = {
      name: ws,
      plugins,
      lookup: {
        consumer: (ref) => consumers.get(ref) ?? customIds.get(ref),
        keyauth: (key) => keys.get(hashKey(key)),
        jwtSecret: (key) => jwts.get(key),
      },
    }
    this.workspaces.set(ws, parts)
    for (const r of config.routes) this.routeWorkspace.set(r.id, parts)
  }

  /** The workspace a matched route belongs to. */
  workspaceOf(routeId: string): WorkspaceParts {
    return this.routeWorkspace.get(routeId)!
  }

  /** The default workspace's configuration (DB-less mode serves only that one). */
  get config(): GatewayConfig {
    return this.configs.get(DEFAULT_WORKSPACE) ?? emptyConfig()
  }

  start(): void {
    for (const c of this.checkers) c.start()
  }

  stop(): void {
    for (const c of this.checkers) c.stop()
  }
}
