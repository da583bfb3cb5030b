import { describe, expect, it } from 'vitest'
import type { MyRoom } from './api'
import {
  type ChatAction,
  type ChatState,
  chatReducer,
  directPartner,
  initialChatState,
  typists,
  unread,
} from './chat-state'
import { messageFrame } from './fake-socket'
import type { RoomEvent, ServerFrame } from './protocol'

const room = (id: number, head: number, lastRead = 0): MyRoom => ({
  id,
  kind: 'public',
  name: `room ${id}`,
  topic: '',
  createdBy: 'alice',
  head,
  createdAt: '2026-01-01T00:00:00Z',
  role: 'member',
  lastRead,
})

const run = (actions: ChatAction[], s: ChatState = initialChatState('alice')) =>
  actions.reduce(chatReducer, s)
const event = (f: ReturnType<typeof messageFrame>): ChatAction => ({ type: 'event', event: f as RoomEvent })
const frame = (f: Record<string, unknown>, now = 1_000): ChatAction => ({
  type: 'frame',
  frame: f as ServerFrame,
  now,
})

describe('chat state', () => {
  it('settles a sent message whichever comes first: its event or the answer', () => {
    const eventFirst = run([
      { type: 'rooms', rooms: [room(1, 0)] },
      { type: 'sending', cid: 'c1', room: 1, body: 'hi' },
      event(messageFrame(1, 1, 'alice', 'hi', 'c1')),
      { type: 'sent', cid: 'c1', offset: 1 },
    ])
    expect(eventFirst.pending).toEqual([])
    const answerFirst = run([
      { type: 'rooms', rooms: [room(1, 0)] },
      { type: 'sending', cid: 'c1', room: 1, body: 'hi' },
      { type: 'sent', cid: 'c1', offset: 1 },
    ])
    expect(answerFirst.pending).toEqual([{ cid: 'c1', room: 1, body: 'hi', state: 'sending', offset: 1 }])
    expect(run([event(messageFrame(1, 1, 'alice', 'hi', 'c1'))], answerFirst).pending).toEqual([])
    // Someone else's message with the same cid is not ours.
    expect(run([event(messageFrame(1, 1, 'bob', 'hi', 'c1'))], answerFirst).pending).toHaveLength(1)
  })

  it('keeps head, our receipt and the members receipts moving forward only', () => {
    const s = run([
      { type: 'rooms', rooms: [room(1, 4, 2)] },
      event(messageFrame(1, 5, 'bob', 'x')),
      frame({ type: 'receipt', room: 1, user: 'bob', offset: 5 }),
      frame({ type: 'receipt', room: 1, user: 'bob', offset: 3 }),
      frame({ type: 'receipt', room: 1, user: 'alice', offset: 4 }),
      { type: 'rooms', rooms: [room(1, 4, 1)] },
    ])
    const r = s.rooms[1]!
    expect([r.head, r.lastRead, r.receipts.bob]).toEqual([5, 4, 5])
    expect(unread(r)).toBe(1)
  })

  it('forgets rooms the list no longer has, or that we were removed from, and counts joins', () => {
    let s = run([{ type: 'rooms', rooms: [room(1, 0), room(2, 0)] }])
    s = run(
      [
        {
          type: 'event',
          event: {
            type: 'update',
            room: 1,
            offset: 1,
            kind: 'join',
            user: 'bob',
            target: null,
            data: {},
            at: '',
          },
        },
      ],
      s,
    )
    expect(s.rooms[1]!.membersVersion).toBe(1)
    s = run([frame({ type: 'unsubscribed', room: 2, reason: 'left' })], s)
    expect(Object.keys(s.rooms)).toEqual(['1'])
    s = run([frame({ type: 'unsubscribed', room: 1, reason: 'requested' })], s)
    expect(Object.keys(s.rooms)).toEqual(['1'])
    s = run([{ type: 'rooms', rooms: [] }], s)
    expect(s.rooms).toEqual({})
  })

  it('expires typing by time, ignores our own, and drops what a server reset made untrue', () => {
    let s = run([
      { type: 'rooms', rooms: [room(1, 3)] },
      { type: 'page', room: 1, page: { messages: [], hasMore: false, head: 3 }, older: false },
      frame({ type: 'typing', room: 1, user: 'bob', ttlMs: 6_000 }, 1_000),
      frame({ type: 'typing', room: 1, user: 'alice', ttlMs: 6_000 }, 1_000),
    ])
    expect(typists(s.rooms[1], 6_999)).toEqual(['bob'])
    expect(typists(s.rooms[1], 7_000)).toEqual([])
    expect(s.rooms[1]!.timeline.loaded).toBe(true)
    s = run(
      [
        frame({
          type: 'error',
          id: 'sub-1',
          room: 1,
          code: 'CHAT_OFFSET_FROM_FUTURE',
          status: 400,
          message: 'future',
          head: 1,
        }),
      ],
      s,
    )
    expect(s.rooms[1]!.timeline.loaded).toBe(false)
    expect(s.notice).toBe('future')
  })

  it('names a direct room after the other person', () => {
    expect(directPartner({ kind: 'direct', name: 'alice, bob' }, 'alice')).toBe('bob')
    expect(directPartner({ kind: 'direct', name: 'alice, bob' }, 'bob')).toBe('alice')
    expect(directPartner({ kind: 'public', name: 'alice, bob' }, 'alice')).toBeUndefined()
  })
})
