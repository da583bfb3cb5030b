/**
 * A rolling deploy: chat nodes of the version before platform/live run beside new ones on one Bus.
 * Old nodes announce presence on `chat.presence` and send typing, receipts and room-deleted as
 * chat frames on `chat.eph.<room>`; new nodes use `live.presence` and `live.signal.chat.room.<room>`.
 * With LIVE_LEGACY_SUBJECTS on (the default), a new node hears and speaks both, and nothing reaches
 * a client twice; off, it speaks only the new subjects. The old node is played by the test on the
 * app's Bus, with the messages the old code sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BusMessage, Subscription } from '../../platform/bus/port.js'
import { backends } from '../../platform/testing/backends.js'
import { settle, waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, type Json, WsClient } from './testing.js'

/** Messages on the old subjects, as an old node would receive them. */
async function listenAsOldNode(
  t: ChatTestApp,
): Promise<{ heard: BusMessage<Json>[]; close(): Promise<void> }> {
  const heard: BusMessage<Json>[] = []
  const subs: Subscription[] = []
  for (const subject of ['chat.presence', 'chat.eph.>'])
    subs.push(await t.app.bus.subscribe<Json>(subject, async (m) => void heard.push(m)))
  return { heard, close: async () => void (await Promise.all(subs.map((s) => s.close()))) }
}

describe.each(backends())(
  'chat beside nodes of the version before platform/live (%s)',
  { timeout: 120_000 },
  (backend) => {
    let t: ChatTestApp
    let alice: string
    let bob: string
    let room: number
    beforeAll(async () => {
      t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
      ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
      room = (await t.api('POST', '/rooms', alice, { name: 'deploy', members: ['bob'] })).body.id
    })
    afterAll(() => t?.close())

    it('shows an old node’s presence, typing and receipts, and ends a room it deleted', async () => {
      const a = await WsClient.connect(t.url, alice)
      await a.request({ type: 'subscribe', room })
      const watch = await a.request({ type: 'watch', users: ['carol'] })
      expect(watch).toMatchObject({ type: 'presence', users: { carol: 'offline' } })

      // carol is connected to an old node.
      await t.app.bus.publish('chat.presence', { node: 'old-node', full: true, users: { carol: 'online' } })
      await a.next((f) => f.type === 'presence' && f.users.carol === 'online')
      const old = { headers: { origin: 'old-node-mark' } }
      await t.app.bus.publish(
        `chat.eph.${room}`,
        { v: 1, type: 'typing', room, user: 'carol', ttlMs: 6_000 },
        old,
      )
      expect(await a.next((f) => f.type === 'typing')).toMatchObject({ room, user: 'carol' })
      await t.app.bus.publish(
        `chat.eph.${room}`,
        { v: 1, type: 'receipt', room, user: 'carol', offset: 1 },
        old,
      )
      expect(await a.next((f) => f.type === 'receipt')).toMatchObject({ room, user: 'carol', offset: 1 })
      // The old node stops: its users go offline here at once.
      await t.app.bus.publish('chat.presence', { node: 'old-node', full: true, users: {} })
      await a.next((f) => f.type === 'presence' && f.users.carol === 'offline')
      // A room deleted through an old node ends its stream for readers here.
      await t.app.bus.publish(`chat.eph.${room}`, { v: 1, type: 'room-deleted', room, user: 'carol' }, old)
      await a.next((f) => f.type === 'unsubscribed' && f.room === room)
      await a.close()
    })

    it('tells old nodes what happens here, and new nodes only once', async () => {
      const room2 = (await t.api('POST', '/rooms', alice, { name: 'deploy-2', members: ['bob'] })).body.id
      const oldNode = await listenAsOldNode(t)
      try {
        const a = await WsClient.connect(t.url, alice)
        const b = await WsClient.connect(t.url, bob)
        await b.request({ type: 'subscribe', room: room2 })
        await a.request({ type: 'subscribe', room: room2 })
        await waitFor('alice announced online on the old subject', () =>
          oldNode.heard.some((m) => m.subject === 'chat.presence' && m.data.users?.alice === 'online'),
        )
        await a.request({ type: 'typing', room: room2 })
        await b.next((f) => f.type === 'typing' && f.user === 'alice')
        await waitFor('the typing frame on the old subject', () =>
          oldNode.heard.some((m) => m.subject === `chat.eph.${room2}` && m.data.type === 'typing'),
        )
        expect(oldNode.heard.find((m) => m.data.type === 'typing')!.data).toMatchObject({
          v: 1,
          type: 'typing',
          room: room2,
          user: 'alice',
        })
        // Room deletion: an old node's readers are told the way old nodes told each other.
        expect((await t.api('DELETE', `/rooms/${room2}`, alice)).status).toBe(204)
        await b.next((f) => f.type === 'unsubscribed' && f.room === room2)
        await waitFor('room-deleted on the old subject', () =>
          oldNode.heard.some((m) => m.data.type === 'room-deleted' && m.data.room === room2),
        )
        await settle(300)
        // This node's copies on the old subjects are not taken as an old node's.
        expect(b.frames.filter((f) => f.type === 'typing')).toHaveLength(1)
        expect(b.frames.filter((f) => f.type === 'unsubscribed' && f.room === room2)).toHaveLength(1)
        await Promise.all([a.close(), b.close()])
      } finally {
        await oldNode.close()
      }
    })

    it('speaks only the new subjects with LIVE_LEGACY_SUBJECTS=false', async () => {
      const n = await chatApp(backend, { LIVE_LEGACY_SUBJECTS: 'false' })
      try {
        const token = await n.token('dave')
        const r = (await n.api('POST', '/rooms', token, { name: 'new-only' })).body.id
        const oldNode = await listenAsOldNode(n)
        const d = await WsClient.connect(n.url, token)
        await d.request({ type: 'subscribe', room: r })
        await n.app.bus.publish(`chat.eph.${r}`, {
          v: 1,
          type: 'typing',
          room: r,
          user: 'carol',
          ttlMs: 6_000,
        })
        await d.request({ type: 'typing', room: r })
        await d.request({ type: 'presence', status: 'away' })
        await settle(500)
        // (carol's typing is the test's own old-node message.)
        expect(oldNode.heard.filter((m) => m.data.user !== 'carol')).toEqual([])
        expect(d.frames.filter((f) => f.type === 'typing')).toEqual([])
        await Promise.all([d.close(), oldNode.close()])
      } finally {
        await n.close()
      }
    })
  },
)
