/**
 * Group commit across rooms (writer.ts), against a store that records its
 * calls: what one call carries, the order inside it, that a room is never in
 * two calls at once (so its offsets are published in order), and that a
 * failed call fails its own messages only.
 */
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../platform/testing/wait.js'
import { ChatError } from './errors.js'
import type { MessageStore, PostItem, PostResult, RoomBatch } from './messages.store.js'
import type { MessageEvent } from './protocol.js'
import { MessageWriter } from './writer.js'

/** A store that numbers messages per room and lets the test decide when each call returns. */
class FakeStore {
  readonly calls: { rooms: number[]; bodies: string[][] }[] = []
  readonly heads = new Map<number, number>()
  /** Calls wait for this gate when set. */
  gate: Promise<void> | undefined
  failNext = false

  async postBatch(rooms: RoomBatch[]): Promise<(PostResult | ChatError)[][]> {
    this.calls.push({ rooms: rooms.map((r) => r.room), bodies: rooms.map((r) => r.items.map((i) => i.body)) })
    await this.gate
    if (this.failNext) {
      this.failNext = false
      throw new Error('connection lost')
    }
    return rooms.map(({ room, items }) =>
      items.map((item: PostItem) => {
        if (item.sender === 'outsider') return ChatError.notMember(room)
        const offset = (this.heads.get(room) ?? 0) + 1
        this.heads.set(room, offset)
        const event: MessageEvent = {
          v: 1,
          type: 'message',
          room,
          offset,
          sender: item.sender,
          cid: null,
          parent: null,
          body: item.body,
          at: 'now',
        }
        return { event, duplicate: false }
      }),
    )
  }
}

function setup(concurrency = 1) {
  const store = new FakeStore()
  const published: MessageEvent[][] = []
  const writer = new MessageWriter(
    store as unknown as MessageStore,
    async (results) => void published.push(results.map((r) => r.event)),
    concurrency,
  )
  const post = (room: number, body: string, sender = 'alice') => writer.post(room, { sender, body })
  return { store, published, writer, post }
}

describe('MessageWriter', () => {
  it('writes what several rooms queued in one turn in one call, rooms in id order, each in arrival order', async () => {
    const { store, published, post } = setup()
    const done = Promise.all([post(3, 'c1'), post(1, 'a1'), post(3, 'c2'), post(2, 'b1'), post(1, 'a2')])
    const results = await done
    expect(store.calls).toEqual([
      {
        rooms: [1, 2, 3],
        bodies: [['a1', 'a2'], ['b1'], ['c1', 'c2']],
      },
    ])
    expect(results.map((r) => `${r.event.room}:${r.event.offset}`)).toEqual([
      '3:1',
      '1:1',
      '3:2',
      '2:1',
      '1:2',
    ])
    // Handed to the fan-out once, grouped by room, each room in offset order.
    expect(published).toHaveLength(1)
    expect(published[0]!.map((e) => `${e.room}:${e.offset}`)).toEqual(['1:1', '1:2', '2:1', '3:1', '3:2'])
  })

  it('never puts a room in two calls at once, even with concurrent calls', async () => {
    const { store, published, post } = setup(2)
    let open: () => void = () => {}
    store.gate = new Promise<void>((r) => {
      open = r
    })
    const first = Promise.all([post(1, 'a1'), post(2, 'b1')])
    await waitFor('the first call', () => store.calls.length === 1)
    // Room 1 is in the first call: its next message waits; room 5 goes in a second call now
    // (queued in the same turn as room 1's, so the same flush decided about both).
    const second = Promise.all([post(1, 'a2'), post(5, 'e1')])
    await waitFor('the second call', () => store.calls.length === 2)
    expect(store.calls.map((c) => c.rooms)).toEqual([[1, 2], [5]])
    open()
    await Promise.all([first, second])
    expect(store.calls.map((c) => c.rooms)).toEqual([[1, 2], [5], [1]])
    const roomOne = published.flat().filter((e) => e.room === 1)
    expect(roomOne.map((e) => e.body)).toEqual(['a1', 'a2'])
  })

  it('fails the messages of a failed call, and of a refused item, alone', async () => {
    const { store, post } = setup()
    store.failNext = true
    const lost = await Promise.allSettled([post(1, 'x'), post(2, 'y')])
    expect(lost.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    const next = await Promise.allSettled([post(1, 'ok'), post(1, 'no', 'outsider'), post(2, 'ok too')])
    expect(next.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((next[1] as PromiseRejectedResult).reason).toBeInstanceOf(ChatError)
  })

  it('lets rooms take turns when more is queued than one call takes', async () => {
    const { store, post } = setup()
    const all: Promise<PostResult>[] = []
    // 300 messages for room 9 first, then one for room 1: the first call is full (256).
    for (let i = 0; i < 300; i++) all.push(post(9, `n${i}`))
    all.push(post(1, 'one'))
    await Promise.all(all)
    expect(store.calls[0]!.bodies.flat()).toHaveLength(256)
    expect(store.calls[0]!.rooms).toEqual([9])
    // Room 1 is not starved behind room 9: it goes in the next call, before room 9's rest is done.
    expect(store.calls[1]!.rooms).toContain(1)
    expect(store.calls.flatMap((c) => c.bodies.flat())).toHaveLength(301)
  })
})
