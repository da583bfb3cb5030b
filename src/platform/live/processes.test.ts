/**
 * Real server processes of the live fixture system sharing PostgreSQL and NATS JetStream
 * (TEST_SERVICES=1 only: PGlite is one process's database), the way the library scales out:
 * - the node a client reads from is SIGKILLed mid-stream of 500 events written on another node:
 *   the platform's client reconnects to the survivor by itself and resumes every stream, each
 *   event once, in order, `recovered`;
 * - a writing node SIGKILLed after its commits and before any publish: a reader on another node
 *   gets every event from the history through its sweep;
 * - the killed node's users go offline for watchers on the survivor when its presence stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import NodeWebSocket from 'ws'
import { backendEnv, backends, uniqueId } from '../testing/backends.js'
import { call, type LiveJson, LiveWsClient } from '../testing/live.js'
import { type ServerProcess, startServer } from '../testing/process.js'
import { waitFor } from '../testing/wait.js'
import { LiveSocket, type SocketLike, type StreamName, type SubscribedInfo } from './client/live-client.js'

const ENTRY = 'src/platform/testing/live-fixture-main.ts'
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

async function stop(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return
  p.kill('SIGTERM')
  await p.exited
}

describe.skipIf(!backends().includes('services'))('live streams on several processes', () => {
  const env = {
    LIVE_PRESENCE_INTERVAL_MS: '300',
    LIVE_FIXTURE_SWEEP_MS: '200',
    ...backendEnv('services', uniqueId()),
  }
  const nodes: ServerProcess[] = []
  const start = async () => {
    const p = await startServer({ entry: ENTRY, env, timeoutMs: 110_000 })
    nodes.push(p)
    return p
  }
  let nextBoard = Number(uniqueId().replace(/\D/g, '').slice(-6)) * 10
  const board = async (url: string) => {
    const id = ++nextBoard
    expect((await call(url, 'POST', '/live-fixture/boards', { id, owner: 'ann' })).status).toBe(201)
    return id
  }
  afterAll(async () => {
    await Promise.all(nodes.map(stop))
  })
  beforeAll(async () => {
    // Two nodes first, started together: the migration lock makes concurrent boots safe.
    await Promise.all([start(), start()])
  }, 120_000)

  it('resumes every stream on another node by itself when its node is SIGKILLed mid-stream', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess]
    const ids = [await board(b.url), await board(b.url)]
    const got = new Map<number, number[]>(ids.map((id) => [id, []]))
    const subscribed: [StreamName, SubscribedInfo][] = []
    let target = a.url
    const client = new LiveSocket({
      url: () => `${target.replace('http', 'ws')}/live/ws?access_token=fixture.ann&v=2`,
      open: (url) => new NodeWebSocket(url) as unknown as SocketLike,
      retryMs: () => 200,
      handlers: {
        event: (stream, e) => got.get(Number(String(stream).split('.').at(-1)))!.push(e.offset),
        frame: () => {},
        state: () => {},
        subscribed: (stream, info) => subscribed.push([stream, info]),
      },
    })
    for (const id of ids) client.subscribe(`live-fixture.board.${id}`, 0)
    const writing = Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < 500; i += 5)
          await call(b.url, 'POST', `/live-fixture/boards/${id}/notes`, {
            notes: range(i + 1, i + 5).map(String),
            by: 'writer',
          })
      }),
    )
    await waitFor('the client mid-stream', () => got.get(ids[0]!)!.length >= 50, 30_000)
    // The node goes away without a word: the client must notice the dead socket and move.
    a.kill('SIGKILL')
    await a.exited
    target = b.url
    await writing
    for (const id of ids) {
      await waitFor('every event on the survivor', () => got.get(id)!.length >= 500, 60_000)
      expect(got.get(id)).toEqual(range(1, 500))
    }
    // Each stream was subscribed twice (once per node), the second a recovered resume.
    const resumes = subscribed.filter(([, info]) => info.resumed)
    expect(resumes.length).toBeGreaterThanOrEqual(2)
    expect(resumes.every(([, info]) => info.recovered)).toBe(true)
    client.close()
  })

  it('fills from the history what a writer committed and never published before it was killed', async () => {
    const writer = await start()
    const reader = nodes[1]!
    const id = await board(reader.url)
    const c = await LiveWsClient.connect(reader.url, 'fixture.ann')
    await c.request({ type: 'subscribe', stream: `live-fixture.board.${id}`, after: 0 })
    const r = await call(writer.url, 'POST', `/live-fixture/boards/${id}/notes`, {
      notes: range(1, 10).map(String),
      by: 'writer',
      publish: false,
    })
    expect(r.status).toBe(201)
    writer.kill('SIGKILL')
    await writer.exited
    await waitFor('the sweep', () => c.events(`live-fixture.board.${id}`).length >= 10, 30_000)
    expect(c.events(`live-fixture.board.${id}`).map((e: LiveJson) => e.offset)).toEqual(range(1, 10))
    await c.close()
  }, 150_000)

  it("takes a killed node's users offline for watchers on the other nodes", async () => {
    const doomed = await start()
    const survivor = nodes[1]!
    const watcher = await LiveWsClient.connect(survivor.url, 'fixture.watcher')
    const ghost = `ghost${uniqueId().replace(/\W/g, '').slice(-8)}`
    await LiveWsClient.connect(doomed.url, `fixture.${ghost}`)
    await waitFor(
      'the ghost online on the survivor',
      async () => (await watcher.request({ type: 'watch', users: [ghost] })).users[ghost] === 'online',
      10_000,
    )
    doomed.kill('SIGKILL')
    await doomed.exited
    // A pushed change, not the reply to an earlier `watch` poll that saw the ghost still offline.
    const offline = await watcher.next(
      (f) => f.type === 'presence' && f.id === undefined && f.users?.[ghost] === 'offline',
      15_000,
    )
    expect(offline).toEqual({ v: 1, type: 'presence', users: { [ghost]: 'offline' } })
    await watcher.close()
  }, 150_000)
})
