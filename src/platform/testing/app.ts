/** Build a whole app for a test on a backend, with unique schema / key / subject prefixes. */
import { type App, buildApp } from '../../app.js'

/** Re-exported so system tests reach the composition root through the platform only. */
export { type App, buildApp } from '../../app.js'

import { loadConfig, testLogLevel } from '../config.js'
import type { SystemDefinition } from '../system.js'
import { createLogger } from '../telemetry/logger.js'
import { type BackendName, testBus, testDb, testRedis, uniqueId } from './backends.js'

export interface TestAppOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any system definition
  systems: SystemDefinition<any>[]
  env?: Record<string, string>
  /** Start workers (outbox relays, consumers); default true. */
  startWorkers?: boolean
  /** Job engine tuning (heartbeat and sweep periods), see AppOverrides. */
  jobs?: { heartbeatMs?: number; sweepMs?: number }
}

/** An app on `backend` whose systems live in fresh schemas; the caller closes it. */
export async function buildTestApp(backend: BackendName, opts: TestAppOptions): Promise<App> {
  const id = uniqueId()
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PORT: '0',
    DB_SCHEMA_PREFIX: `t${id}_`,
    REDIS_KEY_PREFIX: `test:${id}:`,
    BUS_PREFIX: `t${id}`,
    ...opts.env,
  })
  const db = (await testDb(backend)).withSchema('public')
  const redis = await testRedis(backend)
  const bus = await testBus(backend, `t${id}`)
  const app = await buildApp(config, {
    systems: opts.systems,
    db,
    redis: redis ?? null,
    bus,
    logger: createLogger(testLogLevel()),
    jobs: opts.jobs,
  })
  if (opts.startWorkers !== false) await app.start({ listen: false })
  const close = app.close
  return Object.assign(app, {
    close: async () => {
      await close()
      await bus.close()
      await redis?.quit()
    },
  })
}
