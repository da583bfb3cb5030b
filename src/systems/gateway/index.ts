/**
 * The API gateway: a reverse proxy on its own port (GATEWAY_PORT) that routes, authenticates,
 * limits and balances requests the way Kong does, configured by Kong's declarative file
 * (GATEWAY_CONFIG) or by a Kong-shaped admin API (/gateway/admin) stored in PostgreSQL. This file
 * only wires the parts: config source -> runtime (snapshot, pools, listener) -> routes. Read
 * README.md first.
 */
import { ConfigError } from '../../platform/settings.js'
import { defineSystem, type Worker } from '../../platform/system.js'
import { AdminAccess } from './admin/access.js'
import { adminRoutes } from './admin/routes.js'
import { AdminService } from './admin/service.js'
import { ConfigStore } from './admin/store.pg.js'
import { StoreSource } from './admin/store-source.js'
import { WorkspaceAdmin } from './admin/workspaces.js'
import { FileSource } from './config/file-source.js'
import { ConfigViolation } from './config/types.js'
import { gatewayMetrics } from './metrics.js'
import { GatewayRuntime } from './runtime.js'
import { settings } from './settings.js'

export default defineSystem({
  name: 'gateway',
  description:
    'API gateway: Kong-compatible routing, plugins (key-auth, jwt, rate-limiting, ...) and load balancing',
  migrations: new URL('./sql/', import.meta.url),
  settings,

  async create(ctx) {
    const s = ctx.settings
    let runtime: GatewayRuntime | undefined
    const metrics = gatewayMetrics(ctx.metrics.registry, () => runtime)
    try {
      runtime = new GatewayRuntime({
        redis: ctx.redis,
        log: ctx.log,
        trustedIps: s.GATEWAY_TRUSTED_IPS,
        maxHeaderBytes: s.GATEWAY_MAX_HEADER_BYTES,
        headersTimeoutMs: s.GATEWAY_HEADERS_TIMEOUT_MS,
        observe: metrics.observe,
        breakers: { failures: s.GATEWAY_BREAKER_FAILURES, halfOpenMs: s.GATEWAY_BREAKER_HALF_OPEN_MS },
        retryBudget: {
          ratio: s.GATEWAY_RETRY_BUDGET_PERCENT / 100,
          minPerSecond: s.GATEWAY_RETRY_BUDGET_MIN_PER_SEC,
        },
        retryMethods: new Set(s.GATEWAY_RETRY_METHODS),
      })
    } catch (err) {
      throw new ConfigError((err as Error).message)
    }
    const rt = runtime
    // Like PORT=0, an unset GATEWAY_PORT is ephemeral when the main port is (tests, several nodes on one host).
    const port = s.GATEWAY_PORT ?? (ctx.config.port === 0 ? 0 : 8000)
    const host = s.GATEWAY_HOST ?? ctx.config.host
    const apply = (cfg: Parameters<GatewayRuntime['apply']>[0], version: number) => rt.apply(cfg, version)

    const store = new ConfigStore(ctx.db)
    const file = s.GATEWAY_CONFIG ? new FileSource(s.GATEWAY_CONFIG, apply, ctx.log) : undefined
    const storeSource = file
      ? undefined
      : new StoreSource(store, ctx.bus, apply, ctx.log, s.GATEWAY_RELOAD_POLL_MS)
    if (file) {
      try {
        file.start()
      } catch (err) {
        if (err instanceof ConfigViolation)
          throw new ConfigError(`GATEWAY_CONFIG ${s.GATEWAY_CONFIG}: ${err.message}`)
        throw err
      }
    }
    const admin = new AdminService(store, rt, storeSource, file !== undefined, ctx.bus)
    const workspaces = new WorkspaceAdmin(store, admin)
    const access = new AdminAccess(s.GATEWAY_ADMIN_TOKEN, s.GATEWAY_WORKSPACE_TOKENS)

    const proxy: Worker = {
      name: 'gateway:proxy',
      async start() {
        await storeSource?.start()
        const bound = await rt.server.listen(port, host).catch((err: NodeJS.ErrnoException) => {
          throw new ConfigError(
            err.code === 'EADDRINUSE'
              ? `GATEWAY_PORT ${port} is in use on ${host}: set GATEWAY_PORT to a free port (0 picks one)`
              : `the gateway proxy cannot listen on ${host}:${port}: ${err.message}`,
          )
        })
        ctx.log.info({ port: bound }, `gateway proxy http://${host}:${bound}`)
      },
      async stop() {
        await storeSource?.stop()
        file?.stop()
        await rt.close()
      },
    }

    return {
      async routes(app) {
        // The default workspace at /admin/..., any workspace at /admin/{workspace}/... (Kong's paths).
        await app.register(async (scope) => adminRoutes(scope, admin, { access, workspaces }), {
          prefix: '/admin',
        })
        await app.register(
          async (scope) => {
            // The prefix's parameter is every route's too. The OpenAPI document lists each operation once,
            // at the default workspace's path: Kong's workspace prefix makes every path ambiguous with
            // `/workspaces/{ref}` to a linter (a workspace cannot be named after an admin path word).
            scope.addHook('onRoute', (route) => {
              const params = (route.schema?.params ?? { type: 'object', properties: {} }) as {
                properties?: Record<string, unknown>
                required?: string[]
              }
              route.schema = {
                ...route.schema,
                hide: true,
                params: {
                  ...params,
                  type: 'object',
                  properties: {
                    workspace: { type: 'string', description: 'The workspace name or id' },
                    ...params.properties,
                  },
                  required: [...new Set(['workspace', ...(params.required ?? [])])],
                },
              }
            })
            adminRoutes(scope, admin, { access })
          },
          { prefix: '/admin/:workspace' },
        )
      },
      workers: [proxy],
    }
  },
})
