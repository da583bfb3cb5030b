import { describe, expect, it } from 'vitest'
import type { HistoryMessage, HistoryPage } from './api'
import type { MessageEvent, UpdateEvent } from './protocol'
import { applyEvent, emptyTimeline, mergePage, oldestOffset, type Timeline } from './timeline'

const AT = '2026-01-01T12:00:00.000Z'

const live = (offset: number, body: string, sender = 'bob'): MessageEvent => ({
  type: 'message',
  room: 1,
  offset,
  sender,
  body,
  cid: null,
  parent: null,
  at: AT,
})

const stored = (offset: number, body: string, over: Partial<HistoryMessage> = {}): HistoryMessage => ({
  room: 1,
  offset,
  sender: 'bob',
  body,
  cid: null,
  parent: null,
  at: AT,
  editedAt: null,
  deleted: false,
  reactions: {},
  replies: 0,
  ...over,
})

const update = (
  offset: number,
  kind: UpdateEvent['kind'],
  target: number,
  data: Record<string, unknown>,
  user = 'bob',
): UpdateEvent => ({
  type: 'update',
  room: 1,
  offset,
  kind,
  user,
  target,
  data,
  at: AT,
})

const page = (messages: HistoryMessage[], head: number, hasMore = false): HistoryPage => ({
  messages,
  head,
  hasMore,
})
const view = (t: Timeline) => t.messages.map((m) => `${m.offset}:${m.body}${m.deleted ? '(deleted)' : ''}`)

describe('timeline', () => {
  it('keeps messages in offset order whatever order pages and events come in, each once', () => {
    let t = applyEvent(emptyTimeline, live(9, 'nine'))
    t = mergePage(t, page([stored(5, 'five'), stored(7, 'seven'), stored(9, 'nine')], 9, true), false)
    t = applyEvent(t, live(10, 'ten'))
    t = mergePage(t, page([stored(2, 'two'), stored(3, 'three')], 10, false), true)
    expect(view(t)).toEqual(['2:two', '3:three', '5:five', '7:seven', '9:nine', '10:ten'])
    expect(t.hasOlder).toBe(false)
    expect(oldestOffset(t)).toBe(2)
  })

  it('brings a page read before a live edit up to date, and applying an edit twice changes nothing', () => {
    // The edit (offset 12) reached us before the page, which was read at head 11 and shows the old body.
    let t = applyEvent(emptyTimeline, update(12, 'edit', 10, { body: 'fixed', previous: 'typo' }))
    t = mergePage(t, page([stored(10, 'typo')], 11), false)
    expect(view(t)).toEqual(['10:fixed'])
    expect(t.messages[0]!.editedAt).toBe(AT)
    // A page read after the edit already shows it; the replayed edit leaves it as it is.
    const again = mergePage(t, page([stored(10, 'fixed', { editedAt: AT })], 12), false)
    expect(view(again)).toEqual(['10:fixed'])
  })

  it('applies updates in order, so a later edit wins over an earlier one', () => {
    let t = mergePage(emptyTimeline, page([stored(3, 'v1')], 3), false)
    t = applyEvent(t, update(4, 'edit', 3, { body: 'v2' }))
    t = applyEvent(t, update(5, 'edit', 3, { body: 'v3' }))
    // A page read at head 3 arrives late: both edits after it are applied again, in order.
    t = mergePage(t, page([stored(3, 'v1')], 3), false)
    expect(view(t)).toEqual(['3:v3'])
  })

  it('tracks deletes and reactions (a user once per emoji), keeping reactions a live replay does not carry', () => {
    let t = mergePage(
      emptyTimeline,
      page([stored(1, 'hi', { reactions: { '👍': ['carol'] } }), stored(2, 'bye')], 2),
      false,
    )
    t = applyEvent(t, update(3, 'react', 1, { emoji: '👍' }, 'bob'))
    t = applyEvent(t, update(3, 'react', 1, { emoji: '👍' }, 'bob'))
    t = applyEvent(t, update(4, 'react', 1, { emoji: '🎉' }, 'bob'))
    t = applyEvent(t, update(5, 'unreact', 1, { emoji: '🎉' }, 'bob'))
    t = applyEvent(t, update(6, 'delete', 2, { previous: 'bye' }))
    // A replayed message event (no reactions in it) must not wipe them.
    t = applyEvent(t, live(1, 'hi'))
    expect(t.messages[0]!.reactions).toEqual({ '👍': ['carol', 'bob'] })
    expect(view(t)).toEqual(['1:hi', '2:(deleted)'])
  })

  it('ignores updates of messages it does not have (a later page shows their effect)', () => {
    const t = applyEvent(
      mergePage(emptyTimeline, page([stored(50, 'x')], 50), false),
      update(51, 'edit', 7, { body: 'y' }),
    )
    expect(view(t)).toEqual(['50:x'])
    expect(t.recent).toHaveLength(1)
  })

  it('says there is more only from the page that reached furthest back', () => {
    let t = mergePage(emptyTimeline, page([stored(60, 'a')], 60, true), false)
    expect(t.hasOlder).toBe(true)
    // A refresh of the newest page must not forget that we already paged back to the start.
    t = mergePage(t, page([stored(1, 'first')], 60, false), true)
    t = mergePage(t, page([stored(60, 'a')], 60, true), false)
    expect(t.hasOlder).toBe(false)
  })
})
