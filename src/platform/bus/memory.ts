/**
 * The in-process Bus adapter (embedded mode). Same semantics as the NATS
 * adapter within one process: groups share the work, a thrown handler or an
 * expired ack wait redelivers with backoff, a closed subscriber's in-flight
 * message goes to another member, and a repeated msgId within the dedup
 * window is dropped. Messages live in memory: a crash loses what was not yet
 * handled, which is why events leave systems through the outbox.
 */
import {
  assertSubject,
  type Bus,
  type BusMessage,
  DEDUP_WINDOW_MS,
  DEFAULT_ACK_WAIT_MS,
  type Handler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './port.js'

interface Envelope {
  subject: string
  data: unknown
  msgId: string | undefined
  headers: Record<string, string>
}

interface Member {
  handler: Handler<unknown>
  inFlight: number
  concurrency: number
  closed: boolean
  /** Hand back each in-flight delivery (called when the member closes). */
  releases: Set<() => void>
}

/** One consumer group (or one broadcast subscriber, as a group of one). */
class Group {
  readonly members: Member[] = []
  private readonly queue: { env: Envelope; deliveries: number }[] = []
  private next = 0

  constructor(
    readonly pattern: string,
    private readonly ackWaitMs: number,
    private readonly maxDeliver: number,
    private readonly onDead: (env: Envelope, err: unknown) => void,
  ) {}

  push(env: Envelope, deliveries = 0): void {
    this.queue.push({ env, deliveries })
    this.pump()
  }

  pump(): void {
    while (this.queue.length > 0) {
      const member = this.pick()
      if (!member) return
      const item = this.queue.shift()!
      this.deliver(member, item.env, item.deliveries + 1)
    }
  }

  private pick(): Member | undefined {
    const n = this.members.length
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.next + i) % n]!
      if (!m.closed && m.inFlight < m.concurrency) {
        this.next = (this.next + i + 1) % n
        return m
      }
    }
    return undefined
  }

  private deliver(member: Member, env: Envelope, deliveryCount: number): void {
    member.inFlight++
    let settled = false
    let freed = false
    /** Decide the message's fate once: acknowledged, or offered again after a backoff. */
    const settle = (redeliver: boolean, err?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (redeliver) {
        if (this.maxDeliver > 0 && deliveryCount >= this.maxDeliver) this.onDead(env, err)
        else {
          const backoff = Math.min(1000, 10 * 2 ** (deliveryCount - 1))
          setTimeout(() => this.push(env, deliveryCount), backoff).unref()
        }
      }
    }
    // The member's slot is held until its handler returns (or it closes), not just until the ack
    // wait: a hung handler must not let the member take more work than `concurrency`.
    const free = () => {
      if (freed) return
      freed = true
      member.releases.delete(release)
      member.inFlight--
      this.pump()
    }
    // Ack wait: a handler still running after it is treated as a dead consumer (redelivered).
    const timer = setTimeout(() => settle(true, new Error('ack wait expired')), this.ackWaitMs)
    timer.unref()
    const msg: BusMessage = { ...env, deliveryCount }
    queueMicrotask(() => {
      if (member.closed) return release()
      member.handler(msg).then(
        () => {
          settle(false)
          free()
        },
        (err) => {
          settle(true, err)
          free()
        },
      )
    })
    const release = () => {
      settle(true)
      free()
    }
    member.releases.add(release)
  }
}

/** Subject matching with NATS wildcards: `*` one token, `>` the rest. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.')
  const s = subject.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i
    if (i >= s.length) return false
    if (p[i] !== '*' && p[i] !== s[i]) return false
  }
  return p.length === s.length
}

export interface MemoryBusOptions {
  dedupWindowMs?: number
  onDead?: (subject: string, err: unknown) => void
}

export function createMemoryBus(opts: MemoryBusOptions = {}): Bus {
  const dedupWindowMs = opts.dedupWindowMs ?? DEDUP_WINDOW_MS
  const groups = new Map<string, Group>()
  const broadcast = new Set<Group>()
  const seen = new Map<string, number>()
  let closed = false

  function dedup(msgId: string | undefined): boolean {
    if (msgId === undefined) return false
    const now = Date.now()
    // Map iteration is insertion order, so expired ids are at the front.
    for (const [id, at] of seen) {
      if (now - at < dedupWindowMs) break
      seen.delete(id)
    }
    if (seen.has(msgId)) return true
    seen.set(msgId, now)
    return false
  }

  return {
    kind: 'memory',
    async publish(subject: string, data: unknown, p: PublishOptions = {}) {
      if (closed) throw new Error('bus is closed')
      assertSubject(subject)
      if (dedup(p.msgId)) return
      // Round-trip through JSON so handlers never share objects with the publisher, as on a real wire.
      const env: Envelope = {
        subject,
        data: data === undefined ? undefined : JSON.parse(JSON.stringify(data)),
        msgId: p.msgId,
        headers: { ...p.headers },
      }
      for (const g of groups.values()) if (subjectMatches(g.pattern, subject)) g.push(env)
      for (const g of broadcast) if (subjectMatches(g.pattern, subject)) g.push(env)
    },
    async subscribe<T>(
      pattern: string,
      handler: Handler<T>,
      s: SubscribeOptions = {},
    ): Promise<Subscription> {
      if (closed) throw new Error('bus is closed')
      const key = s.group ? `${s.group}\u0000${pattern}` : undefined
      let group = key ? groups.get(key) : undefined
      if (!group) {
        group = new Group(
          pattern,
          s.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
          s.group ? (s.maxDeliver ?? 0) : 1,
          (env, err) => opts.onDead?.(env.subject, err),
        )
        if (key) groups.set(key, group)
        else broadcast.add(group)
      }
      const member: Member = {
        handler: handler as Handler<unknown>,
        inFlight: 0,
        concurrency: Math.max(1, s.concurrency ?? 1),
        closed: false,
        releases: new Set(),
      }
      group.members.push(member)
      const g = group
      return {
        async close() {
          if (member.closed) return
          member.closed = true
          g.members.splice(g.members.indexOf(member), 1)
          if (!key) broadcast.delete(g)
          for (const release of [...member.releases]) release()
        },
      }
    },
    async ping() {
      if (closed) throw new Error('bus is closed')
    },
    async close() {
      closed = true
      groups.clear()
      broadcast.clear()
    },
  }
}
