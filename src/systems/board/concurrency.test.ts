/**
 * Concurrent commands on one board: every acknowledged command is in the log once, versions are
 * dense, a stale If-Match loses cleanly, and the projection equals a replay of the stored events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { EventStore } from './events/store.js'
import { layoutOf, replay } from './replay.js'
import { type BoardTestApp, boardApp, type Json, layout } from './testing.js'

describe.each(backends())('board concurrency (%s)', (backend) => {
  let t: BoardTestApp
  let alice: string
  beforeAll(async () => {
    t = await boardApp(backend, { BOARD_COMMAND_ATTEMPTS: '100' })
    alice = await t.token('alice')
  }, 120_000)
  afterAll(() => t?.close())

  const events = (board: string) =>
    new EventStore(t.app.db.withSchema(`${t.app.config.dbSchemaPrefix}board`)).readStream(board)

  it('50 clients moving cards at once: no write lost, versions dense, view = replay', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Busy' })
    const lists: string[] = []
    for (const name of ['A', 'B', 'C'])
      lists.push((await t.ok('POST', `/boards/${b.id}/lists`, alice, { name })).id)
    const cards: string[] = []
    let start = 0
    for (let i = 0; i < 10; i++) {
      const c = await t.ok('POST', `/lists/${lists[i % 3]}/cards`, alice, { title: `c${i}` })
      cards.push(c.id)
      start = c.version
    }
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.api('POST', `/cards/${cards[(i * 7) % 10]}/move`, alice, { listId: lists[i % 3] }),
      ),
    )
    const acked = results.filter((r) => r.status === 200)
    // With retries on, every move lands; none is a 500.
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([])
    const versions = acked.map((r) => r.body.version as number).sort((x, y) => x - y)
    expect(new Set(versions).size).toBe(acked.length)
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => start + 1 + i))
    const log = await events(b.id)
    expect(log.map((e) => e.version)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1))
    expect(log.filter((e) => e.type === 'CardMoved')).toHaveLength(50)
    const view = await t.view(alice, b.id, start + 50)
    expect(view.version).toBe(start + 50)
    expect(layout(view)).toEqual(layoutOf(replay(b.id, log)))
  })

  it('concurrent commands pinned to one version: exactly one wins, the others get 409', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Pinned' })
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.api('POST', `/boards/${b.id}/lists`, alice, { name: `L${i}` }, { 'if-match': `"${b.version}"` }),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([201, ...Array(9).fill(409)])
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body.code).toBe('BOARD_VERSION_CONFLICT')
    const view = await t.view(alice, b.id, 2)
    expect(view.lists).toHaveLength(1)
    expect((await events(b.id)).length).toBe(2)
  })

  it('reads old event versions through the upcaster', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Old events' })
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' })
    const db = t.app.db.withSchema(`${t.app.config.dbSchemaPrefix}board`)
    // A CardAdded as the first release wrote it: schema version 1, the title under `name`.
    await db.query(
      `INSERT INTO events (board_id, version, type, schema_version, data, actor)
       VALUES ($1, 3, 'CardAdded', 1, $2, 'alice')`,
      [b.id, JSON.stringify({ cardId: 'legacy-card', listId: l.id, name: 'from v1', rank: 'a0' })],
    )
    await db.query(`INSERT INTO entities (id, kind, board_id) VALUES ('legacy-card', 'card', $1)`, [b.id])
    const [e] = (await events(b.id)).slice(-1) as Json[]
    expect(e).toMatchObject({
      type: 'CardAdded',
      data: { cardId: 'legacy-card', title: 'from v1', rank: 'a0' },
    })
    // The write side folds it, the projector applies it, and the next command sees it.
    const moved = await t.ok('POST', '/cards/legacy-card/move', alice, { listId: l.id })
    expect(moved.version).toBe(4)
    const view = await t.view(alice, b.id, 4)
    expect(view.lists[0].cards[0]).toMatchObject({ id: 'legacy-card', title: 'from v1' })
  })

  it('the log is immutable: UPDATE and DELETE of an event fail', async () => {
    const db = t.app.db.withSchema(`${t.app.config.dbSchemaPrefix}board`)
    await expect(db.query(`UPDATE events SET actor = 'mallory'`)).rejects.toThrow(/immutable/)
    await expect(db.query('DELETE FROM events')).rejects.toThrow(/immutable/)
  })
})
