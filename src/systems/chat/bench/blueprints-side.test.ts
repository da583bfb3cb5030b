/**
 * The bench's lean frame reader (scanBodies) against frames the server really makes (wire.ts):
 * if the server's frames change shape, the load generator must not silently miscount.
 */
import { describe, expect, it } from 'vitest'
import { EventRun } from '../../../platform/live/wire.js'
import { roomAddressing, testKind } from '../../../platform/testing/live.js'
import type { RoomEvent } from '../protocol.js'
import { scanBodies } from './blueprints-side.js'

const message = (offset: number, body: string): RoomEvent => ({
  v: 1,
  type: 'message',
  room: 7,
  offset,
  sender: 'v2r0m0',
  cid: offset % 2 ? `c${offset}` : null,
  parent: null,
  body,
  at: '2026-12-06T03:15:14.932+00:00',
})

const room = testKind('chat.room')

const scan = (text: string) => {
  const bodies: string[] = []
  return scanBodies(text, (b) => bodies.push(b)) ? bodies : undefined
}

describe('scanBodies (chat bench client)', () => {
  it('reads every body of a v2 batch frame, in order, as JSON.parse would', () => {
    const events = [message(1, '123.5'), message(2, '124.25'), message(3, '125')]
    const text = new EventRun(room.ref('7'), events).batch(roomAddressing(room)).text
    expect(scan(text)).toEqual(JSON.parse(text).events.map((e: { body: string }) => e.body))
  })

  it('reads the body of a single message frame (a run of one)', () => {
    const text = new EventRun(room.ref('7'), [message(9, '99.75')]).batch(roomAddressing(room)).text
    expect(scan(text)).toEqual(['99.75'])
  })

  it('leaves every other frame to JSON.parse', () => {
    for (const f of [
      { v: 1, type: 'hello', user: 'bob' },
      { v: 1, type: 'subscribed', room: 7, after: 0, head: 3 },
      { v: 1, type: 'error', code: 'CHAT_INVALID', message: 'a "body":"x" in a message' },
    ])
      expect(scan(JSON.stringify(f))).toBeUndefined()
  })
})
