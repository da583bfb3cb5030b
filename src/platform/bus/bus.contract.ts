/**
 * The Bus contract: what every adapter (in-process, NATS JetStream) must do
 * the same way. Run by bus.test.ts against each backend.
 *
 * Several "processes" share one bus: `open()` returns a Bus as another
 * process would connect it (same prefix, same stream). The in-process
 * adapter cannot cross processes, so its `open()` returns the same bus.
 */
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { afterEach, describe, expect, it } from 'vitest'
import { connectionOptions } from './nats.js'
import { streamName } from './nats-stream.js'
import type { Bus, BusMessage, Handler } from './port.js'

export interface BusProcesses {
  /** A Bus as one more process would open it (same prefix). */
  open(): Promise<Bus>
  /** Close every bus opened and remove what the test left on the server. */
  close(): Promise<void>
}

import { settle, waitFor } from '../testing/wait.js'

export { settle, waitFor }

/** A handler that records what it receives (after an optional delay per message). */
export function recorder<T = unknown>(delayMs = 0) {
  const got: BusMessage<T>[] = []
  const handler: Handler<T> = async (msg) => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
    got.push(msg)
  }
  return { got, handler }
}

/** Delete the stream of a NATS bus prefix, so test runs leave nothing behind on the server. */
export async function dropNatsStream(url: string, prefix: string): Promise<void> {
  const nc = await connect({ ...connectionOptions(url), maxReconnectAttempts: 0 })
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(streamName(prefix)).catch(() => false)
  } finally {
    await nc.close()
  }
}

const never = () => new Promise<void>(() => {})
const TEST_MS = 15_000

/** Register the contract's tests for one adapter; `makeProcesses` gives each test a fresh bus. */
export function busContract(name: string, makeProcesses: () => Promise<BusProcesses>): void {
  describe(`Bus contract: ${name}`, () => {
    let procs: BusProcesses | undefined

    async function start(): Promise<BusProcesses> {
      procs = await makeProcesses()
      return procs
    }

    afterEach(async () => {
      await procs?.close()
      procs = undefined
    })

    it(
      'round-trips data, headers and msgId to group and broadcast subscribers',
      async () => {
        const bus = await (await start()).open()
        const group = recorder()
        const broadcast = recorder()
        await bus.subscribe('orders.created', group.handler, { group: 'billing' })
        await bus.subscribe('orders.created', broadcast.handler)
        const data = { id: 7, total: 12.5, lines: [{ sku: 'a-1', qty: 2 }], note: 'déjà vu', none: null }
        await bus.publish('orders.created', data, {
          msgId: 'order-7',
          headers: { 'x-trace-id': 'abc123', 'Content-Kind': 'order' },
        })
        await bus.publish('orders.created', null)
        await waitFor(
          'both messages on both subscriptions',
          () => group.got.length === 2 && broadcast.got.length === 2,
        )
        const first = {
          subject: 'orders.created',
          data,
          msgId: 'order-7',
          headers: { 'x-trace-id': 'abc123', 'Content-Kind': 'order' },
          deliveryCount: 1,
        }
        const second = {
          subject: 'orders.created',
          data: null,
          msgId: undefined,
          headers: {},
          deliveryCount: 1,
        }
        expect(group.got).toEqual([first, second])
        expect(broadcast.got).toEqual([first, second])
      },
      TEST_MS,
    )

    it(
      'matches `*` to one token and `>` to the rest, and nothing else',
      async () => {
        const bus = await (await start()).open()
        const one = recorder()
        const rest = recorder()
        await bus.subscribe('orders.*', one.handler, { group: 'one' })
        await bus.subscribe('orders.>', rest.handler)
        for (const s of ['users.created', 'orders.eu.created', 'orders.created', 'orders', 'orders.last'])
          await bus.publish(s, { s })
        // Each subscriber handles its messages in order, so `orders.last` arriving means the rest did.
        await waitFor('the last message', () =>
          [one, rest].every((r) => r.got.some((m) => m.subject === 'orders.last')),
        )
        expect(one.got.map((m) => m.subject)).toEqual(['orders.created', 'orders.last'])
        expect(rest.got.map((m) => m.subject)).toEqual(['orders.eu.created', 'orders.created', 'orders.last'])
        expect(rest.got[0]!.data).toEqual({ s: 'orders.eu.created' })
      },
      TEST_MS,
    )

    it(
      'shares a group among its members and gives every group every message',
      async () => {
        const p = await start()
        const [a, b] = [await p.open(), await p.open()]
        const members = { a: recorder<{ n: number }>(10), b: recorder<{ n: number }>(10) }
        const audit = { a: recorder<{ n: number }>(), b: recorder<{ n: number }>() }
        await a.subscribe('jobs.run', members.a.handler, { group: 'workers' })
        await b.subscribe('jobs.run', members.b.handler, { group: 'workers' })
        await a.subscribe('jobs.run', audit.a.handler, { group: 'audit' })
        await b.subscribe('jobs.run', audit.b.handler, { group: 'audit' })
        const N = 20
        for (let n = 0; n < N; n++) await a.publish('jobs.run', { n })
        const count = (g: typeof members) => g.a.got.length + g.b.got.length
        await waitFor('every job in both groups', () => count(members) >= N && count(audit) >= N)
        await settle()
        const all = Array.from({ length: N }, (_, n) => n)
        const ns = (g: typeof members) => [...g.a.got, ...g.b.got].map((m) => m.data.n).sort((x, y) => x - y)
        expect(ns(members)).toEqual(all)
        expect(ns(audit)).toEqual(all)
        // Both members took part: a slow handler leaves the next message to the other one.
        expect(members.a.got.length).toBeGreaterThan(0)
        expect(members.b.got.length).toBeGreaterThan(0)
      },
      TEST_MS,
    )

    it(
      'redelivers to a handler that throws, counting deliveries, until it succeeds',
      async () => {
        const bus = await (await start()).open()
        const counts: number[] = []
        await bus.subscribe(
          'mail.send',
          async (msg) => {
            counts.push(msg.deliveryCount)
            if (msg.deliveryCount < 3) throw new Error('smtp down')
          },
          { group: 'mailer', ackWaitMs: 1_000 },
        )
        await bus.publish('mail.send', { to: 'x@example.com' })
        await waitFor('a third delivery', () => counts.length >= 3)
        await settle(1_500) // longer than the ack wait: an unacknowledged success would come back
        expect(counts).toEqual([1, 2, 3])
      },
      TEST_MS,
    )

    it(
      'gives up on a message after maxDeliver deliveries',
      async () => {
        const bus = await (await start()).open()
        const counts: number[] = []
        await bus.subscribe(
          'mail.send',
          async (msg) => {
            counts.push(msg.deliveryCount)
            throw new Error('always failing')
          },
          { group: 'mailer', ackWaitMs: 1_000, maxDeliver: 2 },
        )
        await bus.publish('mail.send', { to: 'x@example.com' })
        await waitFor('two deliveries', () => counts.length >= 2)
        await settle(1_500)
        expect(counts).toEqual([1, 2])
      },
      TEST_MS,
    )

    it(
      'hands the in-flight message of a closed member to another member',
      async () => {
        const p = await start()
        const [a, b] = [await p.open(), await p.open()]
        const seenByA: BusMessage[] = []
        const subA = await a.subscribe(
          'jobs.run',
          async (msg) => {
            seenByA.push(msg)
            await never() // the consumer dies before it acknowledges
          },
          { group: 'workers', ackWaitMs: 10_000 },
        )
        await a.publish('jobs.run', { n: 1 })
        await waitFor('member A to take the job', () => seenByA.length === 1)
        const other = recorder()
        await b.subscribe('jobs.run', other.handler, { group: 'workers', ackWaitMs: 10_000 })
        await subA.close()
        // Well within the 10 s ack wait: close() itself gives the message back.
        await waitFor('member B to get the job', () => other.got.length === 1, 3_000)
        expect(other.got[0]).toMatchObject({ data: { n: 1 }, deliveryCount: 2 })
        await b.publish('jobs.run', { n: 2 })
        await waitFor('the next job', () => other.got.length >= 2)
        await settle()
        expect(other.got.map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }])
        expect(seenByA).toHaveLength(1)
      },
      TEST_MS,
    )

    it(
      'redelivers to another member once a hung handler exceeds the ack wait',
      async () => {
        const p = await start()
        const [a, b] = [await p.open(), await p.open()]
        const seenByA: number[] = []
        await a.subscribe(
          'jobs.run',
          async () => {
            seenByA.push(Date.now())
            await never()
          },
          { group: 'workers', ackWaitMs: 1_000 },
        )
        await a.publish('jobs.run', { n: 1 })
        await waitFor('member A to take the job', () => seenByA.length === 1)
        const other = recorder()
        await b.subscribe('jobs.run', other.handler, { group: 'workers', ackWaitMs: 1_000 })
        await waitFor('member B to get the job', () => other.got.length === 1)
        const waited = Date.now() - seenByA[0]!
        expect(waited).toBeGreaterThanOrEqual(900)
        expect(other.got[0]).toMatchObject({ data: { n: 1 }, deliveryCount: 2 })
        // A is still busy with its hung handler, so it takes nothing more.
        expect(seenByA).toHaveLength(1)
      },
      TEST_MS,
    )

    it(
      'bounds in-flight handlers of a subscriber by its concurrency',
      async () => {
        const bus = await (await start()).open()
        let inFlight = 0
        let peak = 0
        let open!: () => void
        const gate = new Promise<void>((r) => {
          open = r
        })
        const done: number[] = []
        await bus.subscribe<{ n: number }>(
          'jobs.run',
          async (msg) => {
            inFlight++
            peak = Math.max(peak, inFlight)
            await gate
            inFlight--
            done.push(msg.data.n)
          },
          { group: 'workers', concurrency: 3, ackWaitMs: 10_000 },
        )
        for (let n = 0; n < 7; n++) await bus.publish('jobs.run', { n })
        await waitFor('three handlers running', () => inFlight === 3)
        await settle()
        expect(peak).toBe(3)
        open()
        await waitFor('every job', () => done.length === 7)
        expect(done.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6])
        expect(peak).toBe(3)
      },
      TEST_MS,
    )

    it(
      'delivers a repeated msgId once',
      async () => {
        const bus = await (await start()).open()
        const group = recorder()
        const broadcast = recorder()
        await bus.subscribe('orders.created', group.handler, { group: 'billing' })
        await bus.subscribe('orders.created', broadcast.handler)
        await bus.publish('orders.created', { v: 1 }, { msgId: 'same' })
        await bus.publish('orders.created', { v: 2 }, { msgId: 'same' })
        await bus.publish('orders.created', { v: 3 }, { msgId: 'other' })
        // In-order delivery: the third message arriving means the second was dropped, not late.
        await waitFor('the last message', () =>
          [group, broadcast].every((r) => r.got.some((m) => m.msgId === 'other')),
        )
        expect(group.got.map((m) => m.data)).toEqual([{ v: 1 }, { v: 3 }])
        expect(broadcast.got.map((m) => m.data)).toEqual([{ v: 1 }, { v: 3 }])
      },
      TEST_MS,
    )

    it(
      'broadcasts new messages to every process, and not to closed subscriptions',
      async () => {
        const p = await start()
        const [a, b] = [await p.open(), await p.open()]
        await a.publish('cache.invalidate', { key: 'before' })
        const inA = recorder()
        const inB = recorder()
        const gone = recorder()
        await a.subscribe('cache.invalidate', inA.handler)
        await b.subscribe('cache.invalidate', inB.handler)
        const closed = await b.subscribe('cache.invalidate', gone.handler)
        await closed.close()
        for (const key of ['k1', 'k2', 'k3']) await b.publish('cache.invalidate', { key })
        await waitFor('three messages in each process', () => inA.got.length >= 3 && inB.got.length >= 3)
        await settle()
        const keys = [{ key: 'k1' }, { key: 'k2' }, { key: 'k3' }]
        expect(inA.got.map((m) => m.data)).toEqual(keys)
        expect(inB.got.map((m) => m.data)).toEqual(keys)
        expect(gone.got).toEqual([])
      },
      TEST_MS,
    )

    it(
      'answers ping, and refuses to publish once closed',
      async () => {
        const bus = await (await start()).open()
        await expect(bus.ping()).resolves.toBeUndefined()
        await bus.close()
        await expect(bus.publish('orders.created', {})).rejects.toThrow(/closed/)
        await expect(bus.ping()).rejects.toThrow(/closed/)
      },
      TEST_MS,
    )
  })
}
