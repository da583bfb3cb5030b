/**
 * The NATS JetStream Bus adapter (scaled mode). Every subject is published
 * as `${prefix}.${subject}` into one stream per prefix, which stores it
 * (the PubAck is awaited) and drops a repeated `Nats-Msg-Id` within the
 * stream's duplicate window. Groups are durable pull consumers shared by
 * all the processes that join them; broadcasts are ordered consumers.
 * See nats-stream.ts and nats-consumer.ts.
 *
 * The connection reconnects forever. While it is down, `publish` fails at
 * once with a clear error instead of buffering: its caller (the outbox
 * relay) holds row locks and retries on its own schedule.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NodeConnectionOptions, headers as natsHeaders } from '@nats-io/transport-node'
import type { Logger } from '../telemetry/logger.js'
import { type ConsumerContext, subscribeBroadcast, subscribeGroup } from './nats-consumer.js'
import { ensureStream, streamName } from './nats-stream.js'
import {
  assertSubject,
  type Bus,
  DEDUP_WINDOW_MS,
  DEFAULT_ACK_WAIT_MS,
  type Handler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './port.js'

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
  /** How long a publish waits for the stream's acknowledgement (default 5 s). */
  publishTimeoutMs?: number
  /** Called when a group message reached `maxDeliver` and is given up on. */
  onDead?: (subject: string, err: unknown) => void
}

const WEEK_MS = 7 * 24 * 3_600_000
const PING_TIMEOUT_MS = 2_000
const DRAIN_TIMEOUT_MS = 5_000

/** Subscription patterns: subject tokens, `*` for one token, a final `>` for the rest. */
const PATTERN = /^(?:(?:[A-Za-z0-9_-]+|\*)(?:\.(?:[A-Za-z0-9_-]+|\*))*(?:\.>)?|>)$/

/** Connect to NATS, create or update the prefix's stream, and return a Bus over it. */
export async function createNatsBus(opts: NatsBusOptions): Promise<Bus> {
  assertSubject(opts.prefix)
  const log = opts.logger
  const where = redact(opts.url)
  let nc: Awaited<ReturnType<typeof connect>>
  try {
    nc = await connect({
      ...connectionOptions(opts.url),
      name: `blueprints:${opts.prefix}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    })
  } catch (err) {
    throw new Error(`NATS at ${where} is unreachable: ${(err as Error).message}`, { cause: err })
  }
  let connected = true
  const statusLoop = (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false
        log?.warn({ server: s.server }, 'NATS disconnected; reconnecting')
      } else if (s.type === 'reconnect') {
        connected = true
        log?.info({ server: s.server }, 'NATS reconnected')
      } else if (s.type === 'error') log?.warn({ err: s.error }, 'NATS error')
      else if (s.type === 'ldm') log?.warn({ server: s.server }, 'NATS server entering lame duck mode')
      else if (s.type === 'staleConnection') log?.warn('NATS connection stale')
      else if (s.type === 'slowConsumer') log?.warn({ pending: s.pending }, 'NATS slow consumer')
    }
  })().catch(() => {})

  const stream = streamName(opts.prefix)
  let ctx: ConsumerContext
  try {
    const jsm = await jetstreamManager(nc)
    await ensureStream(jsm, {
      prefix: opts.prefix,
      maxAgeMs: opts.streamMaxAgeMs ?? WEEK_MS,
      dedupWindowMs: opts.dedupWindowMs ?? DEDUP_WINDOW_MS,
    })
    ctx = {
      js: jetstream(nc, { timeout: opts.publishTimeoutMs ?? 5_000 }),
      jsm,
      stream,
      prefix: opts.prefix,
      log,
      onDead: opts.onDead,
      flush: () =>
        connected ? withTimeout(nc.flush(), PING_TIMEOUT_MS, 'NATS flush timed out') : Promise.resolve(),
    }
  } catch (err) {
    await nc.close().catch(() => {})
    throw new Error(`NATS at ${where}: cannot set up stream ${stream}: ${(err as Error).message}`, {
      cause: err,
    })
  }

  const subscriptions = new Set<Subscription>()
  let closed = false

  return {
    kind: 'nats',
    async publish(subject: string, data: unknown, p: PublishOptions = {}) {
      if (closed) throw new Error('bus is closed')
      assertSubject(subject)
      if (!connected || nc.isClosed())
        throw new Error(`NATS at ${where} is unavailable (reconnecting): ${subject} was not published`)
      try {
        const h = natsHeaders()
        for (const [k, v] of Object.entries(p.headers ?? {})) h.set(k, v)
        await ctx.js.publish(`${opts.prefix}.${subject}`, data === undefined ? '' : JSON.stringify(data), {
          headers: h,
          ...(p.msgId === undefined ? {} : { msgID: p.msgId }),
        })
      } catch (err) {
        throw new Error(`NATS publish of ${subject} to stream ${stream} failed: ${(err as Error).message}`, {
          cause: err,
        })
      }
    },

    async subscribe<T>(
      subject: string,
      handler: Handler<T>,
      s: SubscribeOptions = {},
    ): Promise<Subscription> {
      if (closed) throw new Error('bus is closed')
      if (!PATTERN.test(subject)) throw new Error(`invalid bus subject pattern ${JSON.stringify(subject)}`)
      const concurrency = Math.max(1, s.concurrency ?? 1)
      const inner = s.group
        ? await subscribeGroup(ctx, subject, handler, {
            group: s.group,
            ackWaitMs: s.ackWaitMs ?? opts.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
            maxDeliver: s.maxDeliver ?? 0,
            concurrency,
          })
        : await subscribeBroadcast(ctx, subject, handler, concurrency)
      const sub: Subscription = {
        async close() {
          subscriptions.delete(sub)
          await inner.close()
        },
      }
      subscriptions.add(sub)
      return sub
    },

    async ping() {
      if (closed) throw new Error('bus is closed')
      if (!connected || nc.isClosed()) throw new Error(`NATS at ${where} is unavailable (reconnecting)`)
      await withTimeout(nc.rtt(), PING_TIMEOUT_MS, `NATS at ${where} did not answer a ping`)
    },

    async close() {
      if (closed) return
      closed = true
      await Promise.all([...subscriptions].map((s) => s.close()))
      // Drain flushes the last acks. Disconnected, there is nothing to flush and it would wait for a
      // reconnect; unacknowledged messages then return to their groups after the ack wait.
      if (connected) await withTimeout(nc.drain(), DRAIN_TIMEOUT_MS, 'NATS drain timed out').catch(() => {})
      if (!nc.isClosed()) await nc.close()
      await statusLoop
    },
  }
}

/** Map a `nats://user:pass@host:port` (or `tls://`, or a comma list) URL to connect options. */
export function connectionOptions(url: string): Partial<NodeConnectionOptions> {
  const urls = url.split(',').map((u) => new URL(u.trim()))
  const first = urls[0]!
  const out: Partial<NodeConnectionOptions> = {
    servers: urls.map((u) => `${u.hostname}:${u.port || '4222'}`),
  }
  if (urls.some((u) => u.protocol === 'tls:')) out.tls = {}
  if (first.username && first.password) {
    out.user = decodeURIComponent(first.username)
    out.pass = decodeURIComponent(first.password)
  } else if (first.username) out.token = decodeURIComponent(first.username)
  return out
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@')
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
