/**
 * The Bus port: events between systems and between processes.
 *
 * Delivery is at-least-once. A message is acknowledged when its handler
 * resolves; a handler that throws, or a consumer that dies before it
 * resolves, gets the message again (after `ackWaitMs` at the latest).
 * Publishing twice with the same `msgId` within the dedup window delivers
 * once. Handlers must therefore be idempotent.
 *
 * Two kinds of subscription:
 * - with `group`: a durable consumer group; each message goes to one member
 *   of the group, and the group's position survives restarts (on NATS);
 * - without `group`: a broadcast to this process, from now on, best-effort
 *   (used for cache invalidation, presence, fan-out to sockets).
 */

export interface BusMessage<T = unknown> {
  subject: string
  data: T
  msgId: string | undefined
  headers: Record<string, string>
  /** 1 on first delivery, then 2, 3, ... */
  deliveryCount: number
}

export interface PublishOptions {
  /** Deduplication id: a second publish with the same id within the window is dropped. */
  msgId?: string
  headers?: Record<string, string>
}

export interface SubscribeOptions {
  /** Durable consumer group name; omit for a per-process broadcast subscription. */
  group?: string
  /** How long a delivery may stay unacknowledged before it is redelivered (groups only). */
  ackWaitMs?: number
  /** Deliveries before a message is given up on and counted as dead (groups only; default: unlimited). */
  maxDeliver?: number
  /** Messages handled at once by this subscriber (default 1: in order). */
  concurrency?: number
}

export type Handler<T = unknown> = (msg: BusMessage<T>) => Promise<void>

export interface Subscription {
  /** Stop receiving; an in-flight unacknowledged message goes back to the group. */
  close(): Promise<void>
}

export interface Bus {
  readonly kind: 'memory' | 'nats'
  /** Publish and wait until the bus has stored the message. */
  publish(subject: string, data: unknown, opts?: PublishOptions): Promise<void>
  subscribe<T = unknown>(subject: string, handler: Handler<T>, opts?: SubscribeOptions): Promise<Subscription>
  ping(): Promise<void>
  close(): Promise<void>
}

/** Subjects are dot-separated tokens of letters, digits, `_` and `-`. */
export const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/

export function assertSubject(subject: string): void {
  if (!SUBJECT.test(subject)) throw new Error(`invalid bus subject ${JSON.stringify(subject)}`)
}

/** Default window within which a repeated `msgId` is dropped (JetStream's default too). */
export const DEDUP_WINDOW_MS = 120_000
export const DEFAULT_ACK_WAIT_MS = 30_000
