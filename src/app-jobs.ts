/**
 * The job engine of one process (platform/jobs), opened by the composition root when a selected
 * system declares `jobs`: the installation's job tables migrated (whether or not the jobs system
 * is selected) and the queues and schedules each selected system declares written.
 */
import type { Bus } from './platform/bus/port.js'
import type { Config } from './platform/config.js'
import type { Db } from './platform/db/port.js'
import { JobsEngine } from './platform/jobs/engine.js'
import { jobsSchema } from './platform/jobs/migrations.js'
import type { EngineSettingsValues } from './platform/jobs/settings.js'
import type { Redis } from './platform/redis/client.js'
import type { SystemDefinition } from './platform/system.js'
import type { Logger } from './platform/telemetry/logger.js'
import type { Metrics } from './platform/telemetry/metrics.js'
import type { Tracing } from './platform/telemetry/tracing.js'

/** Test tuning of the engine: the worker's heartbeat period (0: none), the stalled-job sweep's period. */
export interface JobsTuning {
  heartbeatMs?: number
  sweepMs?: number
}

/** Open the engine and record the selected systems' queues; its Redis connection goes onto `owned`. */
export async function openJobs(
  config: Config,
  p: { db: Db; redis: Redis | undefined; bus: Bus; logger: Logger; metrics: Metrics; tracing: Tracing },
  settings: EngineSettingsValues,
  // biome-ignore lint/suspicious/noExplicitAny: systems carry their own settings types
  selected: SystemDefinition<any>[],
  tuning: JobsTuning | undefined,
  owned: (() => Promise<void>)[],
): Promise<JobsEngine> {
  const redis = p.redis?.duplicate({ keyPrefix: `${config.redisKeyPrefix}jobs:` })
  if (redis) owned.push(async () => void (await redis.quit().catch(() => redis.disconnect())))
  const log = p.logger.child({ system: 'platform/jobs' })
  const { engine, applied } = await JobsEngine.open({
    db: p.db.withSchema(jobsSchema(config.dbSchemaPrefix)),
    settings,
    log,
    registry: p.metrics.registry,
    tracing: p.tracing,
    redis,
    bus: p.bus,
    ...tuning,
  })
  if (applied.length > 0) log.info({ applied }, 'job tables migrated')
  for (const s of selected) if (s.jobs) await engine.declare(s.name, s.jobs)
  return engine
}
