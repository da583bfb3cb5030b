/**
 * The JetStream stream behind a NATS Bus, and the names derived from it.
 * One stream per bus prefix holds every subject under `${prefix}.>`, with
 * limits retention: consumer groups and broadcast subscribers each read it
 * at their own pace, and old messages age out by `max_age` alone.
 */
import { createHash } from 'node:crypto'
import {
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'

/** JetStream's error code for "stream name already in use with a different configuration". */
const STREAM_NAME_EXIST = 10058

/** Replace what JetStream forbids in stream and consumer names (`.`, `*`, `>`, spaces, slashes). */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}

/** The stream name of a bus prefix. */
export function streamName(prefix: string): string {
  return sanitizeName(prefix)
}

/**
 * The durable consumer name of a group on a subject pattern. The readable
 * part is lossy (`a.*` and `a._` sanitize alike), so a hash of the exact
 * pair keeps two different subscriptions from sharing a consumer.
 */
export function durableName(group: string, subject: string): string {
  const hash = createHash('sha256').update(`${group}\u0000${subject}`).digest('hex').slice(0, 10)
  const readable = sanitizeName(`${group}__${subject.replaceAll('*', 'STAR').replaceAll('>', 'GT')}`)
  return `${readable.slice(0, 48)}_${hash}`
}

export interface StreamSettings {
  prefix: string
  maxAgeMs: number
  dedupWindowMs: number
}

/** Create the stream, or bring an existing one to these settings; safe to race with other processes. */
export async function ensureStream(jsm: JetStreamManager, s: StreamSettings): Promise<void> {
  const config: Partial<StreamConfig> & { name: string } = {
    name: streamName(s.prefix),
    subjects: [`${s.prefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: 1,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(s.dedupWindowMs),
  }
  try {
    // Adding an identical stream is a no-op on the server, so concurrent starts all succeed here.
    await jsm.streams.add(config)
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_EXIST)) throw err
    // Another version of us configured it differently: the newest start wins.
    await jsm.streams.update(config.name, config)
  }
}
