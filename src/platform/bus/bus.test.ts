import { describe, expect, it } from 'vitest'
import { testServiceUrls } from '../config.js'
import { backends, uniqueId } from '../testing/backends.js'
import { startTcpProxy } from '../testing/tcp-proxy.js'
import { type BusProcesses, busContract, dropNatsStream, recorder, settle, waitFor } from './bus.contract.js'
import { createMemoryBus } from './memory.js'
import { createNatsBus, type NatsBusOptions } from './nats.js'
import type { Bus } from './port.js'

/** Processes that each open their own NATS connection on one fresh prefix. */
function natsProcesses(extra: Partial<NatsBusOptions> = {}): BusProcesses & { prefix: string } {
  const url = testServiceUrls().natsUrl
  const prefix = `t${uniqueId()}`
  const buses: Bus[] = []
  return {
    prefix,
    async open() {
      const bus = await createNatsBus({
        url,
        prefix,
        ackWaitMs: 1_000,
        streamMaxAgeMs: 10 * 60_000,
        ...extra,
      })
      buses.push(bus)
      return bus
    },
    async close() {
      await Promise.all(buses.map((b) => b.close()))
      await dropNatsStream(url, prefix)
    },
  }
}

describe.each(backends())('%s', (backend) => {
  if (backend === 'embedded') {
    busContract('memory', async () => {
      const bus = createMemoryBus()
      return { open: async () => bus, close: () => bus.close() }
    })
  } else {
    busContract('NATS JetStream', async () => natsProcesses())
    natsOnly()
  }
})

/** What only the NATS adapter can show: durability across processes, and NATS going away. */
function natsOnly(): void {
  describe('NATS adapter', () => {
    it('fails to start, clearly, when NATS is unreachable', async () => {
      await expect(createNatsBus({ url: 'nats://127.0.0.1:1', prefix: `t${uniqueId()}` })).rejects.toThrow(
        /NATS at nats:\/\/127\.0\.0\.1:1 is unreachable/,
      )
    })

    it('keeps a group position while no member runs, and several starts race safely', async () => {
      const procs = natsProcesses()
      try {
        // Five processes start at once: the stream is created once and none of them fails.
        const buses = await Promise.all(Array.from({ length: 5 }, () => procs.open()))
        const first = recorder()
        const sub = await buses[0]!.subscribe('orders.created', first.handler, { group: 'billing' })
        await buses[1]!.publish('orders.created', { n: 1 })
        await waitFor('the first order', () => first.got.length === 1)
        await sub.close()
        // Published while the group has no member: the durable consumer keeps it for the next one.
        await buses[2]!.publish('orders.created', { n: 2 })
        const next = recorder()
        await buses[3]!.subscribe('orders.created', next.handler, { group: 'billing' })
        await waitFor('the order published while nobody listened', () => next.got.length === 1)
        await settle()
        expect(next.got.map((m) => m.data)).toEqual([{ n: 2 }])
      } finally {
        await procs.close()
      }
    }, 15_000)

    it('redelivers the job of a process whose connection died, after the ack wait', async () => {
      const proxy = await natsProxy()
      const procs = natsProcesses()
      const url = `nats://127.0.0.1:${proxy.port}`
      const doomed = await createNatsBus({ url, prefix: procs.prefix, streamMaxAgeMs: 600_000 })
      try {
        const survivor = await procs.open()
        const taken: number[] = []
        await doomed.subscribe(
          'jobs.run',
          async () => {
            taken.push(Date.now())
            await new Promise<void>(() => {})
          },
          { group: 'workers', ackWaitMs: 1_000 },
        )
        await survivor.publish('jobs.run', { n: 1 })
        await waitFor('the doomed process to take the job', () => taken.length === 1)
        const other = recorder()
        await survivor.subscribe('jobs.run', other.handler, { group: 'workers', ackWaitMs: 1_000 })
        await proxy.stop() // the process is cut off without a chance to give the job back
        await waitFor('the job on the surviving process', () => other.got.length === 1)
        expect(Date.now() - taken[0]!).toBeGreaterThanOrEqual(900)
        expect(other.got[0]).toMatchObject({ data: { n: 1 }, deliveryCount: 2 })
      } finally {
        await doomed.close()
        await proxy.stop()
        await procs.close()
      }
    }, 15_000)

    it('fails publishes at once while NATS is gone, and recovers when it returns', async () => {
      const proxy = await natsProxy()
      const procs = natsProcesses()
      const url = `nats://127.0.0.1:${proxy.port}`
      const bus = await createNatsBus({
        url,
        prefix: procs.prefix,
        ackWaitMs: 1_000,
        streamMaxAgeMs: 600_000,
      })
      try {
        const got = recorder()
        await bus.subscribe('orders.created', got.handler, { group: 'billing' })
        await bus.publish('orders.created', { n: 1 })
        await waitFor('the first order', () => got.got.length === 1)
        // A ping is answered after the server read everything sent before it, the ack included;
        // an ack cut off by the outage would (rightly) bring the order back.
        await bus.ping()

        await proxy.stop()
        await waitFor('the bus to notice', async () =>
          bus.ping().then(
            () => false,
            () => true,
          ),
        )
        const started = Date.now()
        await expect(bus.publish('orders.created', { n: 2 })).rejects.toThrow(/unavailable/)
        expect(Date.now() - started).toBeLessThan(500)

        await proxy.start()
        await waitFor(
          'the bus to reconnect',
          async () =>
            bus.ping().then(
              () => true,
              () => false,
            ),
          8_000,
        )
        await bus.publish('orders.created', { n: 3 })
        // The group's pull resumes after the reconnect.
        await waitFor('the order after the outage', () => got.got.length === 2)
        expect(got.got.map((m) => m.data)).toEqual([{ n: 1 }, { n: 3 }])
      } finally {
        await bus.close()
        await proxy.stop()
        await procs.close()
      }
    }, 15_000)
  })
}

/** A TCP proxy to the test NATS server. */
function natsProxy() {
  const target = new URL(testServiceUrls().natsUrl)
  return startTcpProxy(target.hostname, Number(target.port || 4222))
}
