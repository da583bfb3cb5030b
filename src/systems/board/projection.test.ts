/**
 * The read side: every kind of event projected (labels, assignees, checklists, comments with
 * mentions, links, archiving, moves), the activity of a board and a card, my cards, search; a
 * projector resumed from its checkpoint applies every event once; and the views rebuilt from
 * zero by the admin call (then swapped in) equal the live ones, even after they were damaged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../platform/telemetry/logger.js'
import { backends } from '../../platform/testing/backends.js'
import { Projector } from './projection/projector.js'
import { viewTables } from './projection/views.js'
import { type BoardTestApp, boardApp, boardDb, type Json } from './testing.js'

const ADMIN = 'board-admin-test-token'

describe.each(backends())('board projections (%s)', (backend) => {
  let t: BoardTestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await boardApp(backend, { BOARD_ADMIN_TOKEN: ADMIN })
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  }, 120_000)
  afterAll(() => t?.close())

  /** A board with one of each kind of event; returns its ids and last version. */
  async function richBoard() {
    const b = await t.ok('POST', '/boards', alice, { name: 'Rich' })
    await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const todo = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'To do' })
    const old = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'Old' })
    const card = await t.ok('POST', `/lists/${todo.id}/cards`, alice, { title: 'Ship the rocket' })
    const other = await t.ok('POST', `/lists/${todo.id}/cards`, bob, { title: 'Paint the hangar' })
    await t.ok('POST', `/cards/${card.id}/labels`, alice, { label: 'urgent' })
    await t.ok('POST', `/cards/${card.id}/assignees`, alice, { user: 'bob' })
    const item = await t.ok('POST', `/cards/${card.id}/checklist`, alice, { text: 'fuel' })
    await t.ok('POST', `/cards/${card.id}/checklist`, alice, { text: 'countdown' })
    await t.ok('PATCH', `/cards/${card.id}/checklist/${item.id}`, bob, { done: true })
    await t.ok('POST', `/cards/${card.id}/comments`, alice, {
      text: '@bob can you check the telemetry? @nobody',
    })
    await t.ok('POST', `/cards/${card.id}/attachments`, alice, {
      url: 'https://example.org/plan.pdf',
      name: 'plan',
    })
    await t.ok('PATCH', `/cards/${card.id}`, alice, {
      dueAt: '2030-01-02T03:04:05.000Z',
      title: 'Ship the big rocket',
    })
    await t.ok('PATCH', `/cards/${other.id}`, bob, { archived: true })
    await t.ok('PATCH', `/lists/${old.id}`, alice, { archived: true })
    const last = await t.ok('POST', `/cards/${card.id}/move`, alice, { listId: todo.id })
    return { board: b.id, card: card.id, other: other.id, version: last.version as number }
  }

  /** Everything the views answer about a board, as a user would read it. */
  async function readAll(r: { board: string; card: string }, version: number) {
    return {
      view: await t.view(alice, r.board, version),
      archived: await t.ok('GET', `/boards/${r.board}?archived=true`, alice),
      card: await t.ok('GET', `/cards/${r.card}`, alice),
      activity: await t.ok('GET', `/boards/${r.board}/activity?limit=500`, alice),
      cardActivity: await t.ok('GET', `/boards/${r.board}/activity?card=${r.card}`, alice),
      mine: await t.ok('GET', '/me/cards', bob),
      mentions: await t.ok('GET', '/me/mentions', bob),
      search: await t.ok('GET', '/search?q=telemetry', bob),
    }
  }

  it('projects every kind of event: card detail, activity, my cards, mentions, search', async () => {
    const r = await richBoard()
    const all = await readAll(r, r.version)
    expect(all.view.lists.map((l: Json) => l.name)).toEqual(['To do'])
    expect(all.view.lists[0].cards.map((c: Json) => c.id)).toEqual([r.card])
    expect(all.archived.lists.map((l: Json) => l.name)).toEqual(['To do', 'Old'])
    expect(all.card).toMatchObject({
      title: 'Ship the big rocket',
      labels: ['urgent'],
      assignees: ['bob'],
      dueAt: '2030-01-02T03:04:05.000Z',
      checklist: [
        { text: 'fuel', done: true },
        { text: 'countdown', done: false },
      ],
      comments: [{ by: 'alice', mentions: ['bob'] }],
      attachments: [{ url: 'https://example.org/plan.pdf', name: 'plan' }],
      description: { doc: `card-${r.card}` },
    })
    expect(all.activity.activity).toHaveLength(r.version)
    expect(all.activity.activity[0]).toMatchObject({ type: 'CardMoved', actor: 'alice', version: r.version })
    expect(all.cardActivity.activity.every((a: Json) => a.cardId === r.card)).toBe(true)
    expect(all.cardActivity.activity.map((a: Json) => a.type)).toContain('CommentAdded')
    expect(all.mine.cards.map((c: Json) => c.id)).toContain(r.card)
    expect(all.mentions.mentions[0]).toMatchObject({ cardId: r.card, by: 'alice' })
    expect(all.search.cards.map((c: Json) => c.id)).toEqual([r.card])
  })

  it('the admin rebuild fills new views from the log and swaps them in: equal to the live ones, damage repaired', async () => {
    const r = await richBoard()
    const before = await readAll(r, r.version)
    const db = boardDb(t)
    await db.query(`UPDATE card_view SET title = 'damaged', labels = '{}' WHERE card_id = $1`, [r.card])
    await db.query('DELETE FROM activity_view WHERE board_id = $1 AND version = 3', [r.board])
    expect((await t.ok('GET', `/cards/${r.card}`, alice)).title).toBe('damaged')
    expect((await t.api('POST', '/admin/projections/rebuild', undefined)).status).toBe(401)
    const rebuilt = await t.ok('POST', '/admin/projections/rebuild', ADMIN)
    expect(rebuilt.events).toBeGreaterThanOrEqual(r.version)
    expect(await readAll(r, r.version)).toEqual(before)
    // The live projector goes on from the rebuild's checkpoint: nothing applied twice or skipped.
    const next = await t.ok('POST', `/boards/${r.board}/lists`, alice, { name: 'After the rebuild' })
    const view = await t.view(alice, r.board, next.version)
    expect(view.lists.map((l: Json) => l.name)).toEqual(['To do', 'After the rebuild'])
    const state = await t.ok('GET', '/admin/projections', ADMIN)
    expect(state.projections).toEqual([expect.objectContaining({ name: 'views', behind: 0 })])
    const { rows } = await db.query<{ n: string; events: string }>(
      `SELECT (SELECT count(*) FROM activity_view) AS n, (SELECT count(*) FROM events) AS events`,
    )
    expect(Number(rows[0]!.n)).toBe(Number(rows[0]!.events))
  })

  it('a projector stopped between batches resumes at its checkpoint: every event applied once', async () => {
    const db = boardDb(t)
    // A second set of views, filled by projectors that stop after a few batches each.
    for (const base of ['board_view', 'list_view', 'card_view', 'activity_view'])
      await db.query(`CREATE TABLE IF NOT EXISTS ${base}_resume (LIKE ${base} INCLUDING ALL)`)
    await db.query(`INSERT INTO checkpoints (name) VALUES ('resume') ON CONFLICT DO NOTHING`)
    const tables = viewTables('_resume')
    const log = createLogger('silent')
    let applied = 0
    for (;;) {
      const p = new Projector(db, { name: 'resume', tables, batch: 7, pollMs: 1_000 }, log)
      const a = (await p.step()).length
      const b = (await p.step()).length
      applied += a + b
      if (a + b === 0) break
    }
    const { rows } = await db.query<{ same: boolean; n: string; total: string }>(
      `SELECT (SELECT count(*) FROM activity_view_resume) AS n, (SELECT count(*) FROM events) AS total,
              NOT EXISTS (SELECT card_id, title, rank, list_id, labels, assignees, archived FROM card_view
                          EXCEPT SELECT card_id, title, rank, list_id, labels, assignees, archived FROM card_view_resume) AS same`,
    )
    expect(Number(rows[0]!.n)).toBe(applied)
    expect(Number(rows[0]!.total)).toBe(applied)
    expect(rows[0]!.same).toBe(true)
  })
})
