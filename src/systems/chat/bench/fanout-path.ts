/**
 * In-process A/B of chat's fan-out path, for comparing the transport before and after it moved to
 * platform/live (the `fanout-before` scenario measures the whole server; this, only the path from a
 * committed run to the sockets): publish runs of 8 events to 10 rooms of 50 v2 readers each, every
 * reader's transport taking the run's shared WebSocket frame as a socket write would. No database,
 * no Bus (a stub that takes every publish), no network.
 *
 *   node --import tsx src/systems/chat/bench/fanout-path.ts <checkout> old|new
 *
 * `old`: a checkout from before the move (chat's fanout.ts/connection.ts); `new`: one with
 * platform/live. Prints the CPU nanoseconds per delivered event (event x reader) of 5 rounds: CPU
 * time, not wall time, so other processes on the core count less. Run the two alternately in fresh
 * processes, pinned to one core (`taskset -c 1`), and compare medians.
 */
const [dir, which] = [process.argv[2]!, process.argv[3]!]
if (!dir || (which !== 'old' && which !== 'new')) throw new Error('usage: fanout-path.ts <checkout> old|new')
const ROOMS = 10
const MEMBERS = 50
const RUN = 8
const log = {
  warn() {},
  info() {},
  error() {},
  debug() {},
  child() {
    return log
  },
}
let sink = 0
const transport = {
  kind: 'ws' as const,
  send(t: string) {
    sink += t.length
  },
  sendShared(f: { wsFrame(): Buffer }) {
    sink += f.wsFrame().length
  },
  buffered: () => 0,
  drained: async () => {},
  close() {},
}
// A bus that takes every publish and delivers nothing: only this node's fan-out is measured.
const bus = { publish: async () => {}, subscribe: async () => ({ close: async () => {} }) }
const heads = new Map<number, number>()
let publish: (events: unknown[]) => void
const event = (room: number, offset: number) => ({
  v: 1,
  type: 'message',
  room,
  offset,
  sender: 'v2r0m0',
  body: `${offset}.5`,
  cid: `c${offset}`,
  parent: null,
  at: '2026-12-06T03:15:14.932+00:00',
})
if (which === 'old') {
  const { Fanout } = await import(`${dir}/src/systems/chat/fanout.ts`)
  const { Connection } = await import(`${dir}/src/systems/chat/connection.ts`)
  const rooms = { heads: async (ids: number[]) => new Map(ids.map((i) => [i, heads.get(i) ?? 0])) }
  const messages = { replay: async () => [] }
  const fanout = new Fanout(bus, rooms, messages, log, { sweepMs: 60_000, page: 500 })
  await fanout.start()
  for (let r = 1; r <= ROOMS; r++)
    for (let m = 0; m < MEMBERS; m++) {
      const c = new Connection(
        `u${m}`,
        transport,
        { fanout, messages, sendBufferBytes: 1 << 30, replayPage: 500, onResync() {}, onClose() {} },
        2,
      )
      await c.subscribe(r, undefined, undefined, true)
    }
  publish = (events) => void fanout.publishMany(events)
} else {
  const { StreamKind } = await import(`${dir}/src/platform/live/kind.ts`)
  const { Connection } = await import(`${dir}/src/platform/live/connection.ts`)
  const { kindAddressing } = await import(`${dir}/src/platform/live/addressing.ts`)
  const { liveErrors } = await import(`${dir}/src/platform/live/errors.ts`)
  const kind = new StreamKind(
    'chat.room',
    {
      streamOf: (e: { room: number }) => String(e.room),
      authorize: async () => {},
      history: {
        heads: async (ids: string[]) => new Map(ids.map((i) => [i, heads.get(Number(i)) ?? 0])),
        read: async () => [],
      },
      endsFor: (e: { type: string; kind?: string; user?: string }) =>
        e.type === 'update' && e.kind === 'leave' ? e.user : undefined,
      sweepMs: 60_000,
    },
    bus,
    log,
  )
  await kind.fanout.start()
  const a = kindAddressing(kind, { field: 'room', plural: 'rooms', noun: 'room', numeric: true })
  const errors = liveErrors('CHAT', 'room')
  for (let r = 1; r <= ROOMS; r++)
    for (let m = 0; m < MEMBERS; m++) {
      const c = new Connection(
        `u${m}`,
        transport,
        { fanoutOf: () => kind.fanout, sendBufferBytes: 1 << 30, onResync() {}, onClose() {} },
        2,
        a,
        errors,
      )
      await c.subscribe(kind.ref(String(r)), undefined, undefined, true)
    }
  publish = (events) => void kind.publish(events)
}
const next = new Map<number, number>()
function once() {
  for (let r = 1; r <= ROOMS; r++) {
    const from = next.get(r) ?? 1
    const events = []
    for (let i = 0; i < RUN; i++) events.push(event(r, from + i))
    next.set(r, from + RUN)
    publish(events)
  }
}
// Warm up, then measure rounds.
for (let i = 0; i < 3000; i++) once()
await new Promise((r) => setTimeout(r, 200))
const per = ROOMS * MEMBERS * RUN
const out: number[] = []
for (let round = 0; round < 5; round++) {
  const n = 2000
  const t0 = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    once()
    if (i % 50 === 0) await new Promise((r) => setImmediate(r))
  }
  await new Promise((r) => setImmediate(r))
  const used = process.cpuUsage(t0)
  const ns = (used.user + used.system) * 1000
  out.push(ns / (n * per))
}
console.log(JSON.stringify({ which, nsPerDelivery: out.map((x) => Math.round(x * 10) / 10), sink: sink > 0 }))
process.exit(0)
