/**
 * Three server processes on one PostgreSQL, 50 clients sending conflicting moves on one board,
 * one process SIGKILLed mid-run (commands in flight, its projector mid-batch) and started again.
 * Each command carries an Idempotency-Key and is retried on another process until acknowledged.
 * Afterwards: every command is in the log exactly once, versions are dense, the views equal a
 * replay of the stored events, the projector is not behind, and a rebuild changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, backends, testDb, uniqueId } from '../../platform/testing/backends.js'
import { type ServerProcess, startServer } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'
import { EventStore } from './events/store.js'
import { layoutOf, replay } from './replay.js'
import { boardClient, type Json, layout } from './testing.js'

const ENTRY = 'src/main.ts'
const ADMIN = 'kill-test-admin'

async function stop(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return
  p.kill('SIGTERM')
  await p.exited
}

describe.skipIf(!backends().includes('services'))('board with a process SIGKILLed mid-run', () => {
  const id = uniqueId()
  const env = {
    SYSTEMS: 'board',
    BOARD_PROJECTOR_POLL_MS: '50',
    BOARD_COMMAND_ATTEMPTS: '100',
    BOARD_ADMIN_TOKEN: ADMIN,
    ...backendEnv('services', id),
  }
  const procs: (ServerProcess | undefined)[] = []
  beforeAll(async () => {
    procs.push(
      ...(await Promise.all([0, 1, 2].map(() => startServer({ entry: ENTRY, env, timeoutMs: 240_000 })))),
    )
  }, 300_000)
  afterAll(async () => {
    await Promise.all(procs.map(stop))
  })

  it('every acknowledged command is in the log once; the views equal a replay and a rebuild', async () => {
    const api = boardClient(procs[0]!.url)
    const alice = await api.token('alice')
    const b = await api.ok('POST', '/boards', alice, { name: 'Under fire' })
    const lists: string[] = []
    for (const name of ['A', 'B', 'C'])
      lists.push((await api.ok('POST', `/boards/${b.id}/lists`, alice, { name })).id)
    const cards: string[] = []
    for (let i = 0; i < 10; i++)
      cards.push((await api.ok('POST', `/lists/${lists[i % 3]}/cards`, alice, { title: `c${i}` })).id)
    const setup = 1 + 3 + 10

    const acked = new Map<string, number>()
    let killed = false
    /** Send one move with `key` to process `p`, then to the others until one acknowledges it. */
    const move = async (key: string, first: number, body: Json) => {
      for (let attempt = 0; attempt < 60; attempt++) {
        const p = procs[(first + attempt) % 3]
        if (!p || p.child.exitCode !== null || p.child.signalCode !== null) continue
        try {
          const r = await boardClient(p.url).api(
            'POST',
            `/cards/${body.card}/move`,
            alice,
            { listId: body.listId },
            {
              'idempotency-key': key,
            },
          )
          if (r.status === 200) {
            acked.set(key, r.body.version)
            return
          }
          if (r.status < 500) throw new Error(`${key}: ${r.status} ${JSON.stringify(r.body)}`)
        } catch (err) {
          if ((err as Error).message.startsWith(key)) throw err
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`${key} never acknowledged`)
    }
    const PER_CLIENT = 6
    const clients = Array.from({ length: 50 }, async (_, c) => {
      for (let j = 0; j < PER_CLIENT; j++)
        await move(`m-${c}-${j}`, c + j, { card: cards[(c * 3 + j) % 10], listId: lists[(c + j) % 3] })
    })
    await waitFor('a third of the moves', () => acked.size >= 100, 120_000)
    procs[2]!.kill('SIGKILL')
    killed = true
    await procs[2]!.exited
    await Promise.all(clients)
    expect(killed).toBe(true)
    expect(acked.size).toBe(50 * PER_CLIENT)
    // The killed process comes back (its projector resumes from the shared checkpoint).
    procs[2] = await startServer({ entry: ENTRY, env, timeoutMs: 240_000 })

    const db = await testDb('services', `t${id}_board`)
    const log = await new EventStore(db).readStream(b.id)
    const head = setup + 50 * PER_CLIENT
    expect(log.map((e) => e.version)).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    expect(log.filter((e) => e.type === 'CardMoved')).toHaveLength(50 * PER_CLIENT)
    // Each acknowledged command's version holds a move, and no two commands share one.
    const versions = [...acked.values()]
    expect(new Set(versions).size).toBe(versions.length)
    for (const v of versions) expect(log[v - 1]!.type).toBe('CardMoved')

    const views = await Promise.all(procs.map((p) => boardClient(p!.url).view(alice, b.id, head)))
    for (const v of views) expect(layout(v)).toEqual(layoutOf(replay(b.id, log)))
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM activity_view WHERE board_id = $1',
      [b.id],
    )
    expect(Number(rows[0]!.n)).toBe(head)
    const state = await boardClient(procs[2]!.url).ok('GET', '/admin/projections', ADMIN)
    await waitFor('projector caught up', async () => {
      const s = await boardClient(procs[1]!.url).ok('GET', '/admin/projections', ADMIN)
      return s.projections.every((p: Json) => p.behind === 0)
    })
    expect(state.projections.map((p: Json) => p.name)).toContain('views')
    const before = await api.ok('GET', `/boards/${b.id}?archived=true`, alice)
    await boardClient(procs[1]!.url).ok('POST', '/admin/projections/rebuild', ADMIN)
    expect(await api.ok('GET', `/boards/${b.id}?archived=true`, alice)).toEqual(before)
  }, 480_000)
})
