/**
 * SSE and long-poll sessions in scaled mode without affinity: two nodes share PostgreSQL and the
 * Bus (real server processes on PostgreSQL + NATS under TEST_SERVICES=1; two apps on one PGlite and
 * one in-process bus otherwise). A long-poll client polls the other node every time, and an SSE
 * client POSTs every frame to the node that does not hold its stream; both get every message once,
 * in order, and the answers to their frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../../platform/bus/memory.js'
import { loadConfig } from '../../platform/config.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { type App, buildApp } from '../../platform/testing/app.js'
import { type BackendName, backendEnv, backends, testDb, uniqueId } from '../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import chat from './index.js'
import { type Json, PollClient, restClient, roomEvents, SseClient } from './testing.js'

const ENV = { CHAT_MESSAGES_PER_SECOND: '100000', CHAT_SWEEP_MS: '200', LIVE_PRESENCE_INTERVAL_MS: '300' }

/** Two nodes sharing the database and the bus; `urls` are their base URLs. */
async function twoNodes(
  backend: BackendName,
): Promise<{ urls: [string, string]; env?: Record<string, string>; close(): Promise<void> }> {
  if (backend === 'services') {
    const env = { SYSTEMS: 'chat', ...ENV, ...backendEnv('services', uniqueId()) }
    const procs: ServerProcess[] = await Promise.all([
      startServer({ entry: 'src/main.ts', env, timeoutMs: 110_000 }),
      startServer({ entry: 'src/main.ts', env, timeoutMs: 110_000 }),
    ])
    return {
      urls: [procs[0]!.url, procs[1]!.url],
      env,
      async close() {
        for (const p of procs) p.kill('SIGTERM')
        await Promise.all(procs.map((p) => p.exited))
      },
    }
  }
  const id = uniqueId()
  const db = (await testDb(backend)).withSchema('public')
  const bus = createMemoryBus()
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DB_SCHEMA_PREFIX: `t${id}_`, ...ENV })
  const apps: App[] = []
  // One after the other: the second finds the schema migrated.
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(config, {
      systems: [chat],
      db,
      redis: null,
      bus,
      logger: createLogger('silent'),
    })
    await app.start({ listen: false })
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    apps.push(app)
  }
  const url = (app: App) => `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`
  return {
    urls: [url(apps[0]!), url(apps[1]!)],
    async close() {
      await Promise.all(apps.map((a) => a.close()))
      await bus.close()
    },
  }
}

/** Post `n` messages `tag0..` to `room` over REST on `url`, one after the other. */
async function write(url: string, token: string, room: number, n: number, tag: string): Promise<void> {
  const api = restClient(url)
  for (let i = 0; i < n; i++) {
    const r = await api.api('POST', `/rooms/${room}/messages`, token, {
      body: `${tag}${i}`,
      cid: `${tag}${i}`,
    })
    expect(r.status).toBe(201)
  }
}

describe.each(backends())('sessions shared by two nodes (%s)', (backend) => {
  let nodes: Awaited<ReturnType<typeof twoNodes>>
  let a: string
  let b: string
  beforeAll(async () => {
    nodes = await twoNodes(backend)
    ;[a, b] = nodes.urls
  }, 120_000)
  afterAll(() => nodes?.close())

  it('a long-poll client on the other node at every poll gets every message once, in order', async () => {
    const api = restClient(a)
    const [wendy, pat] = await Promise.all([api.token('wendy'), api.token('pat')])
    const room = (await api.api('POST', '/rooms', wendy, { name: 'hopping', members: ['pat'] })).body
    const other = (await api.api('POST', '/rooms', wendy, { name: 'hopping-2', members: ['pat'] })).body
    const client = await PollClient.open(a, pat)
    const urls = [a, b]
    let polls = 0
    const poll = async () => {
      const r = await client.poll(200, urls[polls++ % 2])
      expect(r.status).toBe(200)
    }
    // Subscribed on A; the answer comes on the next poll, wherever it lands.
    expect(
      (await client.post({ v: 1, type: 'subscribe', room: room.id, after: room.head, id: 's1' })).status,
    ).toBe(202)
    while (!client.frames.some((f) => f.id === 's1')) await poll()
    const N = 150
    const writing = write(a, wendy, room.id, N, 'm')
    // Midway, frames POSTed to the node the session is not on: a subscribe and a send.
    let posted = false
    while (client.events(room.id).filter((f) => f.type === 'message').length < N) {
      await poll()
      if (!posted && client.events(room.id).length > 20) {
        posted = true
        const where = urls[polls % 2] === a ? b : a
        const frames = [
          { v: 1, type: 'subscribe', room: other.id, after: other.head, id: 's2' },
          { v: 1, type: 'send', room: room.id, body: 'from pat', cid: 'pat-1', id: 'p1' },
        ]
        expect((await client.post(frames, where)).status).toBe(202)
      }
      if (polls > 2_000) throw new Error('too many polls')
    }
    await writing
    await write(b, wendy, other.id, 5, 'o')
    await waitFor(
      'the answers and the second room',
      async () => {
        await poll()
        return (
          client.frames.some((f) => f.id === 'p1') &&
          client.events(other.id).filter((f) => f.type === 'message').length >= 5
        )
      },
      30_000,
    )
    expect(polls).toBeGreaterThan(10)
    const got = client.events(room.id).filter((f) => f.type === 'message')
    // Every message once and in order: wendy's 150, with pat's own among them where it was stored.
    const bodies = got.map((f: Json) => f.body)
    expect(bodies.filter((x: string) => x !== 'from pat')).toEqual(
      Array.from({ length: N }, (_, i) => `m${i}`),
    )
    expect(bodies.filter((x: string) => x === 'from pat')).toHaveLength(1)
    const offsets = client.events(room.id).map((f: Json) => f.offset)
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => room.head + 1 + i))
    expect(client.frames.find((f) => f.id === 'p1')).toMatchObject({ type: 'sent', cid: 'pat-1' })
    expect(client.frames.filter((f) => f.id === 's2')).toHaveLength(1)
    expect(roomEvents(client.frames, other.id).map((f: Json) => f.body)).toEqual([
      'o0',
      'o1',
      'o2',
      'o3',
      'o4',
    ])
    // One hello: the client never saw the session move.
    expect(client.frames.filter((f) => f.type === 'hello')).toHaveLength(1)
  }, 120_000)

  it('a poll answer lost on the way is given again by the other node, nothing skipped or doubled', async () => {
    const api = restClient(a)
    const [wendy, lou] = await Promise.all([api.token('wendy'), api.token('lou')])
    const room = (await api.api('POST', '/rooms', wendy, { name: 'lossy', members: ['lou'] })).body
    const client = await PollClient.open(a, lou)
    await client.post({ v: 1, type: 'subscribe', room: room.id, after: room.head, id: 's' })
    await waitFor('subscribed', async () => {
      await client.poll(200, a)
      return client.frames.some((f) => f.id === 's')
    })
    await write(b, wendy, room.id, 10, 'x')
    // A answers with the ten messages, and the answer is lost: the client still stands at `seq`.
    const before = { seq: client.seq, frames: client.frames.length }
    await waitFor('the ten on A', async () => {
      await client.poll(200, a)
      return client.events(room.id).length >= 10
    })
    client.seq = before.seq
    client.frames.length = before.frames
    await write(b, wendy, room.id, 5, 'y')
    // The same `after` on B: B takes over from the answer before the lost one.
    await waitFor('all fifteen on B', async () => {
      expect((await client.poll(200, b)).status).toBe(200)
      return client.events(room.id).length >= 15
    })
    const bodies = client.events(room.id).map((f: Json) => f.body)
    expect(bodies).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `x${i}`),
      ...Array.from({ length: 5 }, (_, i) => `y${i}`),
    ])
    // And back on A, acknowledging B's answer: nothing more, nothing again.
    await write(a, wendy, room.id, 1, 'z')
    await waitFor('the last one on A', async () => {
      await client.poll(200, a)
      return client.events(room.id).length >= 16
    })
    await client.poll(300, a)
    expect(
      client
        .events(room.id)
        .map((f: Json) => f.body)
        .at(-1),
    ).toBe('z0')
    expect(client.events(room.id)).toHaveLength(16)
  }, 60_000)

  it('an SSE client POSTing to the node without its stream gets every message and answer once', async () => {
    const api = restClient(a)
    const [wendy, sam] = await Promise.all([api.token('wendy'), api.token('sam')])
    const room = (await api.api('POST', '/rooms', wendy, { name: 'elsewhere', members: ['sam'] })).body
    const sse = await SseClient.connect(a, sam)
    // Every frame to B; the stream is on A.
    const post = (frame: Record<string, unknown>) => sse.post({ v: 1, ...frame }, b)
    expect((await post({ type: 'subscribe', room: room.id, after: room.head, id: 's' })).status).toBe(202)
    await sse.next((f) => f.id === 's', 20_000)
    const N = 100
    const writing = write(a, wendy, room.id, N, 'w')
    for (let i = 0; i < 20; i++)
      expect(
        (await post({ type: 'send', room: room.id, body: `s${i}`, cid: `s${i}`, id: `q${i}` })).status,
      ).toBe(202)
    expect((await post({ type: 'ping', id: 'pp' })).status).toBe(202)
    await writing
    await waitFor(
      'every message',
      () => sse.events(room.id).filter((f) => f.type === 'message').length >= N + 20,
      30_000,
    )
    for (let i = 0; i < 20; i++) await sse.next((f) => f.id === `q${i}`, 20_000)
    expect(await sse.next((f) => f.id === 'pp')).toMatchObject({ type: 'pong' })
    const got = sse.events(room.id).filter((f) => f.type === 'message')
    const bodies = got.map((f: Json) => f.body)
    expect(bodies.filter((x: string) => x.startsWith('w'))).toEqual(
      Array.from({ length: N }, (_, i) => `w${i}`),
    )
    // Sent from B in order, each answered once on A's stream.
    expect(bodies.filter((x: string) => x.startsWith('s'))).toEqual(
      Array.from({ length: 20 }, (_, i) => `s${i}`),
    )
    for (let i = 0; i < 20; i++) expect(sse.frames.filter((f) => f.id === `q${i}`)).toHaveLength(1)
    const offsets = sse.events(room.id).map((f: Json) => f.offset)
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => room.head + 1 + i))
    // An unsubscribe from B stops the stream on A.
    expect((await post({ type: 'unsubscribe', room: room.id, id: 'u' })).status).toBe(202)
    expect(await sse.next((f) => f.id === 'u', 20_000)).toMatchObject({ type: 'unsubscribed' })
    // Another user's token cannot reach the session on either node.
    const eve = await api.token('eve')
    const stolen = await restClient(b).api('POST', `/sessions/${sse.session}/frames`, eve, {
      v: 1,
      type: 'ping',
    })
    expect(stolen).toMatchObject({ status: 404, body: { code: 'CHAT_SESSION_NOT_FOUND' } })
    sse.close()
  }, 120_000)

  it.skipIf(backend !== 'services')(
    'a long-poll session whose node was killed (SIGKILL) goes on on another node, nothing lost',
    async () => {
      const third = await startServer({ entry: 'src/main.ts', env: nodes.env!, timeoutMs: 110_000 })
      try {
        const api = restClient(a)
        const [wendy, kim] = await Promise.all([api.token('wendy'), api.token('kim')])
        const room = (await api.api('POST', '/rooms', wendy, { name: 'orphaned', members: ['kim'] })).body
        const client = await PollClient.open(third.url, kim)
        await client.post({ v: 1, type: 'subscribe', room: room.id, after: room.head, id: 's' }, third.url)
        await waitFor('subscribed', async () => {
          await client.poll(200, third.url)
          return client.frames.some((f) => f.id === 's')
        })
        await write(a, wendy, room.id, 10, 'k')
        await waitFor('ten on the doomed node', async () => {
          await client.poll(200, third.url)
          return client.events(room.id).length >= 10
        })
        third.kill('SIGKILL')
        await third.exited
        await write(b, wendy, room.id, 10, 'l')
        await waitFor(
          'the other ten on a survivor',
          async () => {
            expect((await client.poll(200, a)).status).toBe(200)
            return client.events(room.id).length >= 20
          },
          30_000,
        )
        expect(client.events(room.id).map((f: Json) => f.body)).toEqual([
          ...Array.from({ length: 10 }, (_, i) => `k${i}`),
          ...Array.from({ length: 10 }, (_, i) => `l${i}`),
        ])
      } finally {
        if (third.child.exitCode === null && third.child.signalCode === null) third.kill('SIGKILL')
      }
    },
    150_000,
  )
})
