/** The board's Prometheus metrics, read from plain counters at scrape time (nothing hashed per command). */
import type { Registry } from '../../platform/telemetry/metrics.js'
import { Histogram } from '../../platform/telemetry/metrics.js'
import { scrapedCounter } from '../../platform/telemetry/scraped.js'
import type { CommandHandler } from './commands.js'
import type { Projector } from './projection/projector.js'

/** Register the board metrics; returns the projection-lag observer the projector feeds. */
export function boardMetrics(
  registry: Registry,
  commands: CommandHandler,
  projector: Projector,
): (ms: number) => void {
  const counter = (name: string, help: string, read: () => number) =>
    scrapedCounter(registry, name, help, read)
  counter(
    'board_commands_total',
    'Commands that appended events on this node',
    () => commands.counters.commands,
  )
  counter(
    'board_version_conflicts_total',
    'Appends that lost a version race (then decided again or refused)',
    () => commands.counters.conflicts,
  )
  counter(
    'board_commands_rejected_total',
    'Commands answered 409 for a stale If-Match or retries run out',
    () => commands.counters.rejected,
  )
  counter(
    'board_command_replays_total',
    'Commands answered from an earlier run of the same Idempotency-Key',
    () => commands.counters.replays,
  )
  counter(
    'board_projected_events_total',
    'Events this node’s projector applied to the views',
    () => projector.applied,
  )
  counter(
    'board_projector_failures_total',
    'Projector batches that failed (rolled back, retried)',
    () => projector.failures,
  )
  const lag = new Histogram({
    name: 'board_projection_lag_seconds',
    help: 'Time from an event’s commit to its projection into the views',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  return (ms) => lag.observe(Math.max(0, ms) / 1000)
}
