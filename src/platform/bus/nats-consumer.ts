/**
 * Subscriptions of the NATS Bus. A group is a durable pull consumer: each
 * member runs `concurrency` workers, and each worker pulls one message only
 * when it is free, so a busy member never sits on messages another member
 * could handle, and in-flight handlers never exceed `concurrency`. A
 * broadcast is an ordered (ephemeral, unacknowledged) consumer that starts
 * at the newest message.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  ReplayPolicy,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import type { Logger } from '../telemetry/logger.js'
import { durableName } from './nats-stream.js'
import type { BusMessage, Handler, Subscription } from './port.js'

export interface ConsumerContext {
  js: JetStreamClient
  jsm: JetStreamManager
  stream: string
  prefix: string
  log: Logger | undefined
  onDead: ((subject: string, err: unknown) => void) | undefined
  /** Push buffered acks and naks to the server. */
  flush(): Promise<void>
}

export interface GroupOptions {
  group: string
  ackWaitMs: number
  maxDeliver: number
  concurrency: number
}

/** JetStream's error code (2.10+) for creating a durable that exists with another configuration. */
const CONSUMER_ALREADY_EXISTS = 10148

/** How long an idle worker's pull request waits at the server before it is renewed. */
const PULL_EXPIRES_MS = 15_000

/** Delay before a failed message is offered again: 50 ms doubling up to 5 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(5_000, 50 * 2 ** Math.max(0, deliveryCount - 1))
}

/** Decode a JetStream message into the port's shape (throws on a payload that is not JSON). */
export function toBusMessage<T>(m: JsMsg, prefix: string): BusMessage<T> {
  const headers: Record<string, string> = {}
  let msgId: string | undefined
  for (const key of m.headers?.keys() ?? []) {
    const value = m.headers!.get(key)
    // Nats-* headers are the server's protocol (dedup id, etc.), not the publisher's headers.
    if (key.toLowerCase() === 'nats-msg-id') msgId = value
    else if (!key.toLowerCase().startsWith('nats-')) headers[key] = value
  }
  return {
    subject: m.subject.slice(prefix.length + 1),
    data: (m.data.length === 0 ? undefined : JSON.parse(m.string())) as T,
    msgId,
    headers,
    deliveryCount: m.info.deliveryCount,
  }
}

/** Join (or create) the durable consumer of `opts.group` on `subject` and start pulling. */
export async function subscribeGroup<T>(
  ctx: ConsumerContext,
  subject: string,
  handler: Handler<T>,
  opts: GroupOptions,
): Promise<Subscription> {
  const name = durableName(opts.group, subject)
  const mutable = { ack_wait: nanos(opts.ackWaitMs), max_deliver: opts.maxDeliver > 0 ? opts.maxDeliver : -1 }
  let info: ConsumerInfo
  try {
    // Members race here. Adding an identical durable is a no-op; on NATS 2.9 adding one with other
    // settings updates it, while 2.10+ refuses ("already exists") and wants an explicit update.
    info = await ctx.jsm.consumers.add(ctx.stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      ...mutable,
      filter_subject: `${ctx.prefix}.${subject}`,
      // Like the memory bus, a new group starts at the next message; afterwards its position is durable.
      deliver_policy: DeliverPolicy.New,
      replay_policy: ReplayPolicy.Instant,
    })
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === CONSUMER_ALREADY_EXISTS)) throw err
    info = await ctx.jsm.consumers.update(ctx.stream, name, mutable)
  }
  const consumer = ctx.js.consumers.getConsumerFromInfo(info)
  const abort = new AbortController()
  const pulls = new Set<ConsumerMessages>()
  const releases = new Set<() => void>()
  let closed = false

  async function handle(m: JsMsg): Promise<void> {
    if (closed) return m.nak()
    const receivedAt = Date.now()
    let msg: BusMessage<T>
    try {
      msg = toBusMessage<T>(m, ctx.prefix)
    } catch (err) {
      // A payload that cannot be decoded never will be: retrying only delays the next message.
      m.term()
      ctx.log?.error({ err, subject: m.subject }, 'bus message is not JSON; dropped')
      ctx.onDead?.(m.subject.slice(ctx.prefix.length + 1), err)
      return
    }
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      // Past the ack wait the server has redelivered it: acking now would ack the other delivery.
      if (Date.now() - receivedAt < opts.ackWaitMs) fn()
    }
    const release = () => settle(() => m.nak())
    releases.add(release)
    try {
      await handler(msg)
      settle(() => m.ack())
    } catch (err) {
      settle(() => {
        if (opts.maxDeliver > 0 && msg.deliveryCount >= opts.maxDeliver) {
          m.term()
          ctx.log?.error({ err, subject: msg.subject, deliveries: msg.deliveryCount }, 'bus message dead')
          ctx.onDead?.(msg.subject, err)
        } else {
          ctx.log?.warn({ err, subject: msg.subject, deliveries: msg.deliveryCount }, 'bus handler failed')
          m.nak(retryDelayMs(msg.deliveryCount))
        }
      })
    } finally {
      releases.delete(release)
    }
  }

  async function worker(): Promise<void> {
    let failures = 0
    while (!closed) {
      try {
        const batch = await consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS })
        if (closed) {
          batch.stop()
          break
        }
        pulls.add(batch)
        try {
          for await (const m of batch) await handle(m)
        } finally {
          pulls.delete(batch)
        }
        failures = 0
      } catch (err) {
        if (closed) break
        failures++
        ctx.log?.warn({ err, subject, group: opts.group }, 'bus pull failed; retrying')
        await sleep(Math.min(5_000, 100 * 2 ** failures), undefined, { signal: abort.signal }).catch(() => {})
      }
    }
  }

  for (let i = 0; i < opts.concurrency; i++) void worker()
  return {
    async close() {
      if (closed) return
      closed = true
      abort.abort()
      for (const batch of pulls) batch.stop()
      // Handlers still running are abandoned: their messages go back to the group now, not at ack wait.
      for (const release of [...releases]) release()
      await ctx.flush().catch(() => {})
    },
  }
}

/** A best-effort subscription of this process to new messages on `subject`. */
export async function subscribeBroadcast<T>(
  ctx: ConsumerContext,
  subject: string,
  handler: Handler<T>,
  concurrency: number,
): Promise<Subscription> {
  const consumer = await ctx.js.consumers.get(ctx.stream, {
    filter_subjects: `${ctx.prefix}.${subject}`,
    deliver_policy: DeliverPolicy.New,
  })
  const messages = await consumer.consume({ max_messages: Math.max(10, concurrency * 2) })
  const slots = new Slots(concurrency)
  let closed = false

  const loop = (async () => {
    for await (const m of messages) {
      // Taking a slot before the next message keeps the client from pulling far ahead of the handlers.
      await slots.acquire()
      if (closed) break
      let msg: BusMessage<T>
      try {
        msg = toBusMessage<T>(m, ctx.prefix)
      } catch (err) {
        ctx.log?.error({ err, subject: m.subject }, 'bus message is not JSON; dropped')
        slots.release()
        continue
      }
      // Through a promise, so a handler that throws synchronously cannot end the subscription.
      Promise.resolve()
        .then(() => handler(msg))
        .catch((err) => ctx.log?.warn({ err, subject: msg.subject }, 'bus broadcast handler failed'))
        .finally(() => slots.release())
    }
  })().catch((err) => {
    if (!closed) ctx.log?.error({ err, subject }, 'bus broadcast subscription stopped')
  })

  return {
    async close() {
      if (closed) return
      closed = true
      slots.wakeAll()
      await messages.close()
      await loop
      // The server would drop it after its inactive threshold; deleting spares it the wait.
      await consumer.delete().catch(() => {})
    },
  }
}

/** A counting semaphore whose waiters can all be woken at shutdown. */
class Slots {
  private readonly waiters: (() => void)[] = []

  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.free++
  }

  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
