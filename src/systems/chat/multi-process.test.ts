/**
 * Real server processes (`node --import tsx src/main.ts`) sharing
 * PostgreSQL and NATS JetStream, the way the chat scales out:
 * - a token revoked on one node closes its connection on the other (NATS);
 * - the client library's node is killed mid-stream: it reconnects to another
 *   node by itself and resumes, every message once, in order;
 * - clients on two nodes, writers on both: every member gets every message
 *   exactly once, in offset order;
 * - the node a reader is connected to is killed (SIGKILL) mid-stream of
 *   1,000 messages: the reader resumes on the other node from its last
 *   offset and ends with all of them, in order, once; and the killed node's
 *   users go offline on the survivors when its presence announcements stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import NodeWebSocket from 'ws'
import { backendEnv, backends, uniqueId } from '../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import { ChatSocket, type SocketLike } from './client/chat-client.js'
import type { RoomEvent } from './client/frames.js'
import { type Json, restClient, WsClient } from './testing.js'

const ENTRY = 'src/main.ts'

async function stop(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return
  p.kill('SIGTERM')
  await p.exited
}

/** Message frames of `room` in arrival order. */
function messages(c: WsClient, room: number): Json[] {
  return c.frames.filter((f) => f.type === 'message' && f.room === room)
}

/** Send `n` messages from `c` with at most 100 in flight; resolves when all were acknowledged. */
async function write(c: WsClient, room: number, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const end = Math.min(n, i + 100)
    for (let j = i; j < end; j++) c.send({ type: 'send', room, body: `${tag}${j}`, cid: `${tag}${j}` })
    await c.next((f) => f.type === 'sent' && f.cid === `${tag}${end - 1}`, 60_000)
  }
}

describe.skipIf(!backends().includes('services'))('chat on several processes', () => {
  let a: ServerProcess | undefined
  let b: ServerProcess | undefined
  const env = {
    SYSTEMS: 'chat',
    CHAT_MESSAGES_PER_SECOND: '100000',
    LIVE_PRESENCE_INTERVAL_MS: '300',
    CHAT_SWEEP_MS: '200',
    // Longer than the tests: a revocation reaches the other node through NATS or not at all.
    CHAT_REVOCATION_SYNC_MS: '300000',
    ...backendEnv('services', uniqueId()),
  }
  beforeAll(async () => {
    // Started together: the migration lock makes concurrent boots safe, and one signing key wins.
    ;[a, b] = await Promise.all([
      startServer({ entry: ENTRY, env, timeoutMs: 110_000 }),
      startServer({ entry: ENTRY, env, timeoutMs: 110_000 }),
    ])
  }, 120_000)
  afterAll(async () => {
    await Promise.all([stop(a), stop(b)])
  })

  it('delivers every message to every member exactly once, in offset order, across nodes', async () => {
    const apiA = restClient(a!.url)
    const users = ['u1', 'u2', 'u3', 'u4']
    // A token from one node is valid on the other: one key in PostgreSQL.
    const tokens = await Promise.all(users.map((u) => apiA.token(u)))
    const room = (await apiA.api('POST', '/rooms', tokens[0], { name: 'everyone', members: users })).body
    const clients = await Promise.all(tokens.map((tok, i) => WsClient.connect(i < 2 ? a!.url : b!.url, tok)))
    for (const c of clients) await c.request({ type: 'subscribe', room: room.id })
    await Promise.all([write(clients[0]!, room.id, 200, 'a'), write(clients[2]!, room.id, 200, 'b')])
    for (const c of clients) {
      await waitFor('all 400 messages', () => messages(c, room.id).length >= 400, 60_000)
      const offsets = messages(c, room.id).map((f) => f.offset)
      expect(offsets).toEqual(Array.from({ length: 400 }, (_, i) => room.head + 1 + i))
    }
    // Each writer's own messages arrive in the order it sent them.
    const bodies = messages(clients[1]!, room.id).map((f) => f.body)
    const fromA = bodies.filter((x) => x.startsWith('a'))
    expect(fromA).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`))
    await Promise.all(clients.map((c) => c.close()))
  }, 120_000)

  it("closes a revoked token's connections on the other node, through the bus", async () => {
    const onA = restClient(a!.url)
    const token = await onA.token('revokee')
    const other = await onA.token('revokee')
    const conn = await WsClient.connect(b!.url, token)
    const kept = await WsClient.connect(b!.url, other)
    expect((await onA.api('POST', '/tokens/revoke', token, {})).body).toMatchObject({ revoked: 'token' })
    await waitFor('the connection on b closed', () => conn.closed !== undefined, 20_000)
    expect(conn.closed!.code).toBe(4401)
    expect(conn.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'CHAT_TOKEN_REVOKED' })
    // b refuses the token too; the user's other token still works there.
    expect((await restClient(b!.url).api('GET', '/me', token)).body).toMatchObject({
      code: 'CHAT_TOKEN_REVOKED',
    })
    expect(await kept.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
    await kept.close()
  })

  it('moves the client library to a surviving node when its node is killed, nothing lost or doubled', async () => {
    const d = await startServer({ entry: ENTRY, env, timeoutMs: 110_000 })
    try {
      const api = restClient(a!.url)
      const [writerTok, libTok] = await Promise.all([api.token('lib-writer'), api.token('lib-reader')])
      const room = (await api.api('POST', '/rooms', writerTok, { name: 'lib-kill', members: ['lib-reader'] }))
        .body
      const events: RoomEvent[] = []
      const subscribed: { resumed: boolean; recovered: boolean }[] = []
      let connects = 0
      // The first connection goes to d, every later one to b (a load balancer that stopped sending to d).
      const lib = new ChatSocket({
        url: () => `${(connects++ === 0 ? d : b!).url.replace('http', 'ws')}/chat/ws?access_token=${libTok}`,
        open: (url) => new NodeWebSocket(url) as unknown as SocketLike,
        retryMs: () => 200,
        handlers: {
          event: (e) => events.push(e),
          frame: () => {},
          state: () => {},
          sent: () => {},
          failed: () => {},
          subscribed: (_room, info) => subscribed.push(info),
        },
      })
      lib.subscribe(room.id, room.head)
      await waitFor('subscribed', () => subscribed.length === 1, 10_000)
      const writer = await WsClient.connect(a!.url, writerTok)
      const writing = write(writer, room.id, 500, 'L')
      await waitFor('the library mid-stream', () => events.length >= 50, 60_000)
      d.kill('SIGKILL')
      await d.exited
      await writing
      await waitFor('every message', () => events.length >= 500, 60_000)
      expect(events.map((e) => (e.type === 'message' ? e.body : e.kind))).toEqual(
        Array.from({ length: 500 }, (_, i) => `L${i}`),
      )
      expect(events.map((e) => e.offset)).toEqual(Array.from({ length: 500 }, (_, i) => room.head + 1 + i))
      expect(connects).toBeGreaterThanOrEqual(2)
      expect(subscribed.at(-1)).toEqual({ ...subscribed.at(-1), resumed: true, recovered: true })
      lib.close()
      await writer.close()
    } finally {
      await stop(d)
    }
  }, 180_000)

  it('resumes on another node after its node is killed mid-stream, and the dead node expires from presence', async () => {
    const c = await startServer({ entry: ENTRY, env, timeoutMs: 110_000 })
    try {
      const api = restClient(a!.url)
      const [writerTok, readerTok, watcherTok] = await Promise.all([
        api.token('writer'),
        api.token('reader'),
        api.token('watcher'),
      ])
      const room = (await api.api('POST', '/rooms', writerTok, { name: 'kill', members: ['reader'] })).body
      const watcher = await WsClient.connect(b!.url, watcherTok)
      let reader = await WsClient.connect(c.url, readerTok)
      await reader.request({ type: 'subscribe', room: room.id, after: room.head })
      // C announces the reader to B on its own schedule: the watch reply or a later push says online.
      const watched = await watcher.request({ type: 'watch', users: ['reader'] })
      if (watched.users.reader !== 'online') {
        await watcher.next((f) => f.type === 'presence' && f.users.reader === 'online', 10_000)
      }

      const writer = await WsClient.connect(a!.url, writerTok)
      const writing = write(writer, room.id, 1_000, 'k')
      await waitFor('the reader mid-stream', () => messages(reader, room.id).length >= 50, 60_000)
      c.kill('SIGKILL')
      await c.exited
      await waitFor('the reader to see the cut', () => reader.closed !== undefined)
      const received = messages(reader, room.id)
      expect(received.length).toBeLessThan(1_000)
      // The watcher on B sees the reader go offline once C's announcements stop (3 intervals).
      await watcher.next((f) => f.type === 'presence' && f.users.reader === 'offline', 10_000)

      reader = await WsClient.connect(b!.url, readerTok)
      await reader.request({ type: 'subscribe', room: room.id, after: received.at(-1).offset })
      await writing
      await waitFor(
        'every message',
        () => received.length + messages(reader, room.id).length >= 1_000,
        60_000,
      )
      received.push(...messages(reader, room.id))
      expect(received.map((f) => f.body)).toEqual(Array.from({ length: 1_000 }, (_, i) => `k${i}`))
      expect(received.map((f) => f.offset)).toEqual(
        Array.from({ length: 1_000 }, (_, i) => room.head + 1 + i),
      )
      await Promise.all([reader.close(), writer.close(), watcher.close()])
    } finally {
      await stop(c)
    }
  }, 300_000)
})
