/** NATS JetStream Bus adapter (placeholder until implemented). */
import type { Logger } from '../telemetry/logger.js'
import type { Bus } from './port.js'

export interface NatsBusOptions {
  url: string
  /** Subject prefix and stream name. */
  prefix: string
  logger?: Logger
  /** Default ack wait of group subscriptions (default 30 s). */
  ackWaitMs?: number
  /** How long the stream keeps messages (default 7 days). */
  streamMaxAgeMs?: number
  /** Deduplication window of the stream (default 2 minutes). */
  dedupWindowMs?: number
}

export async function createNatsBus(_opts: NatsBusOptions): Promise<Bus> {
  throw new Error('not implemented')
}
