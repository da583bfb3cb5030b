/**
 * A subscription hands runs of events to its connection (subscription.ts), shown on chat's room
 * events and naming (`"room": 7`):
 * a v2 connection gets a run that starts at its next offset as one shared
 * frame; a run it has partly seen, or in which its own user leaves, goes
 * event by event, so it never repeats an offset and sees nothing after its
 * own `leave`. A v1 connection always gets one frame per event.
 */
import { describe, expect, it } from 'vitest'
import { roomAddressing, testKind } from '../testing/live.js'
import { Connection, type Transport } from './connection.js'
import { liveErrors } from './errors.js'
import type { Fanout } from './fanout.js'
import type { LiveEvent } from './stream-kind.js'
import { EventRun, type OutFrame } from './wire.js'

/** Chat's room events, as this test uses them. */
type RoomEvent = LiveEvent & Record<string, unknown>
const kind = testKind('chat.room', {
  endsFor: (e) => ((e as RoomEvent).kind === 'leave' ? ((e as RoomEvent).user as string) : undefined),
})

class RecordingTransport implements Transport {
  readonly kind = 'ws'
  readonly sent: Record<string, unknown>[] = []
  send(text: string): void {
    this.sent.push(JSON.parse(text))
  }
  sendShared(frame: OutFrame): void {
    this.send(frame.text)
  }
  buffered(): number {
    return 0
  }
  async drained(): Promise<void> {}
  close(): void {}
}

const ROOM = 7
const HEAD = 10

const message = (offset: number): RoomEvent => ({
  v: 1,
  type: 'message',
  room: ROOM,
  offset,
  sender: 'alice',
  cid: null,
  parent: null,
  body: `m${offset}`,
  at: 'now',
})
const leave = (offset: number, user: string): RoomEvent => ({
  v: 1,
  type: 'update',
  room: ROOM,
  offset,
  kind: 'leave',
  user,
  target: null,
  data: {},
  at: 'now',
})

/** A connection of bob's speaking `protocol`, live on ROOM from its head (no replay). */
async function live(protocol: 1 | 2) {
  const transport = new RecordingTransport()
  const fanout = { attach: async () => HEAD, detach: () => {} } as unknown as Fanout
  const conn = new Connection(
    'bob',
    transport,
    { fanoutOf: () => fanout, sendBufferBytes: 1_000_000, onResync() {}, onClose() {} },
    protocol,
    roomAddressing(kind),
    liveErrors('CHAT', 'room'),
  )
  const ref = kind.ref(String(ROOM))
  await conn.subscribe(ref, undefined, 's')
  transport.sent.length = 0
  const deliver = (events: RoomEvent[]) => conn.subs.get(ref.key)?.onEvents(new EventRun(ref, events))
  return { conn, transport, deliver }
}

/** The offsets of the room events in `frames`, batch frames unpacked. */
const offsets = (frames: Record<string, unknown>[]) =>
  frames
    .flatMap((f) => (f.type === 'batch' ? (f.events as Record<string, unknown>[]) : [f]))
    .filter((f) => f.type === 'message' || f.type === 'update')
    .map((f) => f.offset)

describe('a subscription receiving runs of events', () => {
  it('sends a v2 connection one batch frame per run, shared as it was built', async () => {
    const { transport, deliver } = await live(2)
    deliver([message(11), message(12), message(13)])
    deliver([message(14)])
    expect(transport.sent.map((f) => f.type)).toEqual(['batch', 'message'])
    expect(transport.sent[0]).toMatchObject({ v: 2, type: 'batch', room: ROOM })
    expect(offsets(transport.sent)).toEqual([11, 12, 13, 14])
  })

  it('sends a v1 connection one frame per event', async () => {
    const { transport, deliver } = await live(1)
    deliver([message(11), message(12), message(13)])
    expect(transport.sent.map((f) => f.type)).toEqual(['message', 'message', 'message'])
    expect(offsets(transport.sent)).toEqual([11, 12, 13])
  })

  it('skips the offsets a run repeats and sends the rest, in order, once', async () => {
    const { transport, deliver } = await live(2)
    deliver([message(11), message(12)])
    deliver([message(11), message(12), message(13), message(14)])
    deliver([message(12)])
    expect(offsets(transport.sent)).toEqual([11, 12, 13, 14])
  })

  it("stops at the member's own leave inside a run, and still batches another member's", async () => {
    const { conn, transport, deliver } = await live(2)
    deliver([message(11), leave(12, 'carol'), message(13)])
    expect(transport.sent.map((f) => f.type)).toEqual(['batch'])
    deliver([message(14), leave(15, 'bob'), message(16)])
    expect(offsets(transport.sent)).toEqual([11, 12, 13, 14, 15])
    expect(transport.sent.at(-1)).toMatchObject({ type: 'unsubscribed', room: ROOM, reason: 'left' })
    expect(conn.isSubscribed(kind.ref(String(ROOM)))).toBe(false)
  })
})
