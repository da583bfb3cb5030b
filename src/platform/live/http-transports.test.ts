/**
 * The platform endpoint's HTTP transports with the fixture system's boards: an SSE stream takes its
 * frames by POST and resumes from `Last-Event-ID` (the session and each stream's offset, names with
 * dots and dashes included) with nothing lost or doubled, on this node or, sharing the database,
 * another; a long-poll session gets every event once, in order, in v2 batches, and a poll that
 * lands on another node takes the session over. Counted in `/metrics`. On the embedded adapters and
 * on PostgreSQL + NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../bus/memory.js'
import type { Bus } from '../bus/port.js'
import { loadConfig } from '../config.js'
import { createLogger } from '../telemetry/logger.js'
import { type App, buildApp } from '../testing/app.js'
import { type BackendName, backends, testBus, testDb, uniqueId } from '../testing/backends.js'
import { call } from '../testing/live.js'
import { liveFixture } from '../testing/live-fixture.js'
import { LivePollClient, LiveSseClient } from '../testing/live-http.js'
import { waitFor } from '../testing/wait.js'

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Two apps sharing one database and one bus: two nodes. */
async function twoNodes(backend: BackendName): Promise<{ urls: string[]; close: () => Promise<void> }> {
  const id = uniqueId()
  const env = {
    LOG_LEVEL: 'silent',
    PORT: '0',
    DB_SCHEMA_PREFIX: `t${id}_`,
    BUS_PREFIX: `t${id}`,
    LIVE_FIXTURE_SWEEP_MS: '100',
  }
  const db = (await testDb(backend)).withSchema('public')
  const bus: Bus = backend === 'embedded' ? createMemoryBus() : await testBus(backend, `t${id}`)
  const apps: App[] = []
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(loadConfig({ ...env, LIVE_NODE_ID: `node-${i}` }), {
      systems: [liveFixture],
      db,
      redis: null,
      bus,
      logger: createLogger('silent'),
    })
    await app.start({ listen: false })
    await app.http.listen({ port: 0, host: '127.0.0.1' })
    apps.push(app)
  }
  return {
    urls: apps.map((a) => `http://127.0.0.1:${(a.http.server.address() as { port: number }).port}`),
    close: async () => {
      for (const a of apps) await a.close()
      await bus.close()
    },
  }
}

describe.each(backends())('the platform endpoint over SSE and long polling (%s)', (backend) => {
  let nodes: { urls: string[]; close: () => Promise<void> }
  let a: string
  let b: string
  let nextBoard = Number(uniqueId().replace(/\D/g, '').slice(-6)) * 10
  const board = async () => {
    const id = ++nextBoard
    expect((await call(a, 'POST', '/live-fixture/boards', { id, owner: 'ann' })).status).toBe(201)
    return id
  }
  const write = async (id: number, n: number) => {
    for (let i = 0; i < n; i += 5)
      await call(a, 'POST', `/live-fixture/boards/${id}/notes`, {
        notes: range(i + 1, i + 5).map(String),
        by: 'w',
      })
  }
  beforeAll(async () => {
    nodes = await twoNodes(backend)
    ;[a, b] = nodes.urls as [string, string]
  })
  afterAll(() => nodes?.close())

  it('streams over SSE and resumes from Last-Event-ID, here and on another node, nothing lost or doubled', async () => {
    const ids = [await board(), await board()]
    const streams = ids.map((id) => `live-fixture.board.${id}`)
    let sse = await LiveSseClient.connect(a, 'fixture.ann')
    for (const stream of streams)
      expect(await sse.request({ type: 'subscribe', stream, after: 0 })).toMatchObject({ type: 'subscribed' })
    await Promise.all(ids.map((id) => write(id, 50)))
    await waitFor('the first half', () => streams.every((s) => sse.events(s).length >= 50))
    const had = streams.map((s) => sse.events(s))
    const lastId = sse.lastEventId!
    expect(lastId).toBe(`${sse.session}:${streams.map((s) => `${s}-50`).join(',')}`)
    sse.close()
    await Promise.all(ids.map((id) => write(id, 30)))
    // The other node resumes the same session from the id alone, without a subscribe.
    sse = await LiveSseClient.connect(b, 'fixture.ann', { lastEventId: lastId })
    expect(sse.frames[0]).toMatchObject({ type: 'hello', resumed: true })
    await waitFor('the rest', () => streams.every((s) => sse.events(s).length >= 30))
    for (const [i, s] of streams.entries())
      expect([...had[i]!, ...sse.events(s)].map((e) => e.offset)).toEqual(range(1, 80))
    sse.close()
  })

  it('gives a long-poll session every event once, in order, and a poll on the other node takes it over', async () => {
    const id = await board()
    const stream = `live-fixture.board.${id}`
    const poll = await LivePollClient.open(a, 'fixture.ann')
    expect(await poll.request({ type: 'subscribe', stream, after: 0 })).toMatchObject({
      type: 'subscribed',
      stream,
    })
    await write(id, 40)
    for (let i = 0; i < 50 && poll.events(stream).length < 40; i++) await poll.poll(200)
    expect(poll.frames.some((f) => f.type === 'batch')).toBe(true)
    await write(id, 20)
    for (let i = 0; i < 50 && poll.events(stream).length < 60; i++) expect(await poll.poll(200, b)).toBe(200)
    expect(poll.events(stream).map((e) => e.offset)).toEqual(range(1, 60))
    expect(poll.frames.filter((f) => f.type === 'hello')).toHaveLength(1)
  })

  it('counts its work in /metrics', async () => {
    const text = await (await fetch(`${a}/metrics`)).text()
    expect(text).toMatch(/^live_connections_opened_total [1-9]/m)
    expect(text).toMatch(/^live_frames_total [1-9]/m)
    expect(text).toMatch(/^live_gap_fills_total\{kind="live-fixture.board"\} \d/m)
    expect(text).toMatch(/^live_streams\{kind="live-fixture.board"\} \d/m)
  })
})
