/**
 * The live streams' Prometheus metrics, read from plain counters at scrape time (nothing hashed
 * per frame): every declared kind's feeds on this node (`kind` label), presence, and the platform
 * endpoint (`/live`). A system's own endpoint has its system's metrics (chat's `chat_*`).
 */
import type { Registry } from '../telemetry/metrics.js'
import { Counter, Gauge } from '../telemetry/metrics.js'
import { scrapedCounter } from '../telemetry/scraped.js'
import type { LiveEndpoint } from './endpoint.js'
import type { Live } from './live.js'

/** Register the live metrics on `registry`; `endpoint`: the platform's, when this process mounts it. */
export function liveMetrics(registry: Registry, live: Live, endpoint: LiveEndpoint | undefined): void {
  const perKind = (name: string, help: string, read: (k: ReturnType<Live['allKinds']>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset()
        for (const k of live.allKinds()) this.inc({ kind: k.name }, read(k))
      },
    })
  new Gauge({
    name: 'live_streams',
    help: 'Streams with readers on this node, by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset()
      for (const k of live.allKinds()) this.set({ kind: k.name }, k.fanout.streamCount)
    },
  })
  perKind(
    'live_gap_fills_total',
    'Event gaps filled from the history (out-of-order bus delivery)',
    (k) => k.fanout.stats.gapFills,
  )
  perKind(
    'live_sweep_fills_total',
    'Events the bus never delivered, found by the sweep',
    (k) => k.fanout.stats.sweepFills,
  )
  new Gauge({
    name: 'live_online_users',
    help: 'Users with a connection on this node (every endpoint)',
    registers: [registry],
    collect() {
      this.set(live.presence.localUsers)
    },
  })
  if (!endpoint) return
  const { hub, frames, shared } = endpoint
  const counter = (name: string, help: string, read: () => number) =>
    scrapedCounter(registry, name, help, read)
  new Gauge({
    name: 'live_connections',
    help: 'Open connections of the platform endpoint /live on this node (all transports)',
    registers: [registry],
    collect() {
      this.set(hub.all.size)
    },
  })
  counter('live_connections_opened_total', 'Connections opened on /live on this node', () => hub.opened)
  counter('live_frames_total', 'Client frames received on /live', () => frames.counters.frames)
  counter(
    'live_frame_errors_total',
    'Client frames on /live answered with an error frame',
    () => frames.counters.errors,
  )
  counter(
    'live_rate_limited_total',
    "Writes on /live refused by a kind's write limit",
    () => frames.counters.rateLimited,
  )
  counter('live_resyncs_total', 'Slow readers on /live told to resync from their offsets', () => hub.resyncs)
  counter(
    'live_session_takeovers_total',
    '/live long-poll sessions taken over from another node',
    () => shared.takeovers,
  )
  counter(
    'live_session_frames_relayed_total',
    'Frames relayed over the Bus for /live sessions held by another node, both ways',
    () => shared.relay.relayed,
  )
}
