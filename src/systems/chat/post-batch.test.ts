/**
 * post_batch() (sql/0003_post_batch.sql through MessageStore.postBatch): one
 * call for several rooms, every rule applied per item, with its checks made
 * set-based. Each case is an item of the same call, so each rule is shown
 * inside a batch and next to items it must not disturb.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../platform/db/migrate.js'
import type { Db } from '../../platform/db/port.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { ChatError } from './errors.js'
import { MessageStore, type PostResult } from './messages.store.js'
import { RoomStore } from './rooms.store.js'
import { MessageWriter } from './writer.js'

const ok = (r: PostResult | ChatError) => {
  if (r instanceof ChatError) throw new Error(`expected a message, got ${r.code}`)
  return r
}
const code = (r: PostResult | ChatError) => (r instanceof ChatError ? r.code : 'ok')

describe.each(backends())('post_batch (%s)', (backend) => {
  let db: Db
  let rooms: RoomStore
  let store: MessageStore
  const room = async (name: string, members: string[]) => {
    for (const u of ['alice', ...members]) await rooms.ensureUser(u)
    return (await rooms.create('public', name, '', 'alice', 500, members)).room
  }
  beforeAll(async () => {
    db = await testDb(backend)
    await migrate(db, [{ source: 'system', dir: new URL('./sql/', import.meta.url) }])
    rooms = new RoomStore(db)
    store = new MessageStore(db)
  })

  it('writes several rooms in one call, dense offsets per room, each item judged alone', async () => {
    const a = await room('a', ['bob'])
    const b = await room('b', [])
    const gone = await room('gone', [])
    await rooms.delete(gone.id)
    const earlier = ok(
      (await store.postBatch([{ room: a.id, items: [{ sender: 'bob', body: 'old', cid: 'k' }] }]))[0]![0]!,
    )
    const ids = [a.id, b.id, gone.id].sort((x, y) => x - y)
    const batch = ids.map((id) => ({
      room: id,
      items:
        id === a.id
          ? [
              { sender: 'alice', body: 'first' },
              { sender: 'carol', body: 'not a member' },
              { sender: 'bob', body: 'reply to a stored message', parent: earlier.event.offset },
              { sender: 'bob', body: 'reply to nothing', parent: 999_999 },
              { sender: 'bob', body: 'resend of a stored message', cid: 'k' },
              { sender: 'alice', body: 'with a cid', cid: 'x' },
              { sender: 'alice', body: 'with a cid', cid: 'x' },
              // Offset of "first" (the head before this call + 1): a reply to an earlier item.
              { sender: 'bob', body: 'reply inside the batch', parent: earlier.event.offset + 1 },
              { sender: 'bob', body: 'same cid, other sender', cid: 'x' },
            ]
          : id === b.id
            ? [{ sender: 'alice', body: 'in b' }]
            : [{ sender: 'alice', body: 'in a deleted room' }],
    }))
    const results = await store.postBatch(batch)
    const of = (id: number) => results[ids.indexOf(id)]!
    const ra = of(a.id)
    expect(ra.map(code)).toEqual([
      'ok',
      'CHAT_NOT_A_MEMBER',
      'ok',
      'CHAT_INVALID_PARENT',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ])
    const head = earlier.event.offset
    // New messages take head+1, head+2, ... in item order; resends take no offset.
    expect(
      ra.filter((r) => !(r instanceof ChatError)).map((r) => [ok(r).event.offset, ok(r).duplicate]),
    ).toEqual([
      [head + 1, false],
      [head + 2, false],
      [earlier.event.offset, true],
      [head + 3, false],
      [head + 3, true],
      [head + 4, false],
      [head + 5, false],
    ])
    expect(ok(ra[4]!).event.at).toBe(earlier.event.at)
    expect(ok(ra[7]!).event.parent).toBe(head + 1)
    expect(of(b.id).map(code)).toEqual(['ok'])
    expect(ok(of(b.id)[0]!).event.offset).toBe(b.head + 1)
    expect(of(gone.id).map(code)).toEqual(['CHAT_ROOM_NOT_FOUND'])
    // What is stored is exactly the accepted items, and the counter moved to the last of them.
    const stored = await store.replay(a.id, head, head + 10, 50)
    expect(stored.map((e) => (e.type === 'message' ? e.body : e.kind))).toEqual([
      'first',
      'reply to a stored message',
      'with a cid',
      'reply inside the batch',
      'same cid, other sender',
    ])
    expect((await rooms.get(a.id))!.head).toBe(head + 5)
  })

  it('fails a whole room when it was deleted, and nothing else', async () => {
    const a = await room('kept', [])
    const gone = await room('deleted', [])
    await rooms.delete(gone.id)
    const [ra, rg] = await store.postBatch([
      { room: a.id, items: [{ sender: 'alice', body: 'one' }] },
      {
        room: gone.id,
        items: [
          { sender: 'alice', body: 'x' },
          { sender: 'alice', body: 'y' },
        ],
      },
    ])
    expect(ra!.map(code)).toEqual(['ok'])
    expect(rg!.map(code)).toEqual(['CHAT_ROOM_NOT_FOUND', 'CHAT_ROOM_NOT_FOUND'])
  })

  it('keeps the full-text index pending list small, so no post pays for a large merge (sql/0005)', async () => {
    const { rows } = await db.query<{ opts: string[] }>(
      `SELECT c.reloptions AS opts FROM pg_class c WHERE c.relname = 'messages_tsv' AND c.relnamespace = current_schema()::regnamespace`,
    )
    expect(rows[0]?.opts).toContain('gin_pending_list_limit=64')
  })

  it('leaves no message of a room deleted while posts to it are in flight', async () => {
    const r = await room('busy', ['bob'])
    const post = (i: number) =>
      store.postBatch([{ room: r.id, items: [{ sender: 'bob', body: `m${i}`, cid: `c${i}` }] }])
    // Posts before, during and after the delete: each either committed first (and is deleted with
    // the room) or finds no room; none may survive it.
    const before = await Promise.all(Array.from({ length: 5 }, (_, i) => post(i)))
    const racing = Array.from({ length: 30 }, (_, i) => post(100 + i))
    expect(await rooms.delete(r.id)).toBe(true)
    const during = await Promise.all(racing)
    const after = await post(999)
    expect(before.flat(2).map(code)).toEqual(Array(5).fill('ok'))
    for (const c of during.flat(2).map(code)) expect(['ok', 'CHAT_ROOM_NOT_FOUND']).toContain(c)
    expect(after.flat(2).map(code)).toEqual(['CHAT_ROOM_NOT_FOUND'])
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE room_id = $1',
      [r.id],
    )
    expect(rows[0]!.n).toBe(0)
  })

  it('fails an item PostgreSQL cannot store alone: every other item of its group commit is stored', async () => {
    const a = await room('nul-a', ['bob'])
    const b = await room('nul-b', ['bob'])
    const calls: number[] = []
    const counting = Object.create(store, {
      postBatch: {
        value: (batch: Parameters<MessageStore['postBatch']>[0]) => {
          calls.push(batch.reduce((n, x) => n + x.items.length, 0))
          return store.postBatch(batch)
        },
      },
    }) as MessageStore
    const writer = new MessageWriter(counting, async () => {})
    // Queued in one turn: one group commit of 41 items over two rooms, the bad one in the middle of a.
    const posts = Array.from({ length: 41 }, (_, i) =>
      writer.post(i % 2 === 0 ? a.id : b.id, {
        sender: 'bob',
        body: i === 20 ? 'bad \u0000 byte' : `m${i}`,
        cid: `c${i}`,
      }),
    )
    const settled = await Promise.allSettled(posts)
    expect(calls[0]).toBe(41)
    const refused = settled.flatMap((r, i) => (r.status === 'rejected' ? [i] : []))
    expect(refused).toEqual([20])
    const err = (settled[20] as PromiseRejectedResult).reason
    expect(err).toBeInstanceOf(ChatError)
    expect(err.status).toBe(400)
    // Every good item stored once, each room's offsets dense and in the order they were queued.
    for (const [r, parity] of [
      [a, 0],
      [b, 1],
    ] as const) {
      const { rows } = await db.query<{ body: string; offset: number }>(
        'SELECT body, "offset"::int AS offset FROM messages WHERE room_id = $1 ORDER BY "offset"',
        [r.id],
      )
      const expected = Array.from({ length: 41 }, (_, i) => i).filter((i) => i % 2 === parity && i !== 20)
      expect(rows.map((x) => x.body)).toEqual(expected.map((i) => `m${i}`))
      expect(rows.map((x) => x.offset)).toEqual(expected.map((_, k) => r.head + 1 + k))
    }
    expect(writer.splits).toBeGreaterThan(0)
  })
})
