/** The API the issue names: tokens, boards, lists, cards, moves with fractional ranks, the view and its version. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type BoardTestApp, boardApp, layout } from './testing.js'

describe.each(backends())('board API (%s)', (backend) => {
  let t: BoardTestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await boardApp(backend)
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
  }, 120_000)
  afterAll(() => t?.close())

  it('creates a board, lists and cards, and shows them in order with the version', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Launch' })
    expect(b).toMatchObject({ id: expect.any(String), version: 1, position: expect.any(Number) })
    const todo = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'To do' })
    const done = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'Done' })
    const c1 = await t.ok('POST', `/lists/${todo.id}/cards`, alice, { title: 'one' })
    const c2 = await t.ok('POST', `/lists/${todo.id}/cards`, alice, { title: 'two' })
    const c3 = await t.ok('POST', `/lists/${todo.id}/cards`, alice, { title: 'three', before: c1.id })
    expect(c3.version).toBe(6)
    const view = await t.view(alice, b.id, c3.version)
    expect(view).toMatchObject({ id: b.id, name: 'Launch', owner: 'alice', version: 6 })
    expect(layout(view)).toEqual([
      { list: todo.id, cards: [c3.id, c1.id, c2.id] },
      { list: done.id, cards: [] },
    ])
    expect(view.lists[0].cards.map((c: { title: string }) => c.title)).toEqual(['three', 'one', 'two'])

    // Moves: across lists, within a list between two neighbours; no other card's rank changes.
    const ranksBefore = Object.fromEntries(
      view.lists[0].cards.map((c: { id: string; rank: string }) => [c.id, c.rank]),
    )
    await t.ok('POST', `/cards/${c1.id}/move`, alice, { listId: done.id })
    await t.ok('POST', `/cards/${c2.id}/move`, alice, { listId: done.id, before: c1.id })
    const m = await t.ok('POST', `/cards/${c3.id}/move`, alice, {
      listId: done.id,
      after: c2.id,
      before: c1.id,
    })
    const after = await t.view(alice, b.id, m.version)
    expect(layout(after)).toEqual([
      { list: todo.id, cards: [] },
      { list: done.id, cards: [c2.id, c3.id, c1.id] },
    ])
    expect(after.version).toBe(9)
    const ranks = after.lists[1].cards.map((c: { rank: string }) => c.rank)
    expect([...ranks].sort()).toEqual(ranks)
    expect(ranksBefore[c1.id]).toBeDefined()
  })

  it('answers a stranger as for a missing board, and members see it once added', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Private' })
    const hidden = await t.api('GET', `/boards/${b.id}`, bob)
    const missing = await t.api('GET', '/boards/nope', bob)
    expect(hidden.status).toBe(404)
    expect(hidden.body.code).toBe('BOARD_NOT_FOUND')
    expect(missing.status).toBe(404)
    expect((await t.api('POST', `/boards/${b.id}/lists`, bob, { name: 'x' })).status).toBe(404)
    const added = await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const view = await t.view(bob, b.id, added.version)
    expect(view.members).toEqual(['alice', 'bob'])
  })

  it('If-Match: a stale version is a 409 naming both versions, and nothing is written', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Versions' })
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' }, { 'if-match': '"1"' })
    expect(l.version).toBe(2)
    const stale = await t.api('POST', `/boards/${b.id}/lists`, alice, { name: 'M' }, { 'if-match': '"1"' })
    expect(stale.status).toBe(409)
    expect(stale.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(stale.body).toMatchObject({ code: 'BOARD_VERSION_CONFLICT', expected: 1, actual: 2 })
    const view = await t.view(alice, b.id, 2)
    expect(view.version).toBe(2)
    expect(view.lists.map((x: { name: string }) => x.name)).toEqual(['L'])
    expect(
      (await t.api('POST', `/boards/${b.id}/lists`, alice, { name: 'M' }, { 'if-match': 'soon' })).status,
    ).toBe(400)
  })

  it('Idempotency-Key: a retried command is written once and answers the same', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Retries' })
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' })
    const h = { 'idempotency-key': 'card-1' }
    const first = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'once' }, h)
    const again = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'once' }, h)
    expect(again).toEqual(first)
    const other = await t.api('POST', `/lists/${l.id}/cards`, alice, { title: 'different' }, h)
    expect(other.status).toBe(422)
    expect(other.body.code).toBe('BOARD_IDEMPOTENCY_KEY_REUSED')
    const view = await t.view(alice, b.id, first.version)
    expect(view.lists[0].cards.map((c: { id: string }) => c.id)).toEqual([first.id])
  })

  it('moves to unknown lists, stale neighbours and bad bodies are clear 4xx', async () => {
    const b = await t.ok('POST', '/boards', alice, { name: 'Bad input' })
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' })
    const c1 = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'a' })
    const c2 = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'b' })
    const c3 = await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'c' })
    const cases: [unknown, number, string][] = [
      [{ listId: 'no-such-list' }, 404, 'BOARD_LIST_NOT_FOUND'],
      [{ listId: l.id, after: c3.id, before: c1.id }, 409, 'BOARD_POSITION_STALE'],
      [{ listId: l.id, after: 'ghost' }, 409, 'BOARD_POSITION_STALE'],
      [{ listId: l.id, before: c2.id }, 400, 'BOARD_INVALID_POSITION'],
      [{}, 400, 'VALIDATION_FAILED'],
      [{ listId: 'not an id!' }, 400, 'VALIDATION_FAILED'],
      [{ listId: l.id, extra: 1 }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [body, status, code] of cases) {
      const r = await t.api('POST', `/cards/${c2.id}/move`, alice, body)
      expect([r.status, r.body.code], JSON.stringify(body)).toEqual([status, code])
    }
    const unknownCard = await t.api('POST', '/cards/nope/move', alice, { listId: l.id })
    expect([unknownCard.status, unknownCard.body.code]).toEqual([404, 'BOARD_CARD_NOT_FOUND'])
    const long = await t.api('POST', `/lists/${l.id}/cards`, alice, { title: 'x'.repeat(501) })
    expect(long.status).toBe(400)
    const nul = await t.api('POST', `/lists/${l.id}/cards`, alice, { title: 'a\u0000b' })
    expect(nul.status).toBe(400)
    expect((await t.api('POST', '/boards', undefined, { name: 'x' })).status).toBe(401)
    expect((await t.api('POST', '/boards', 'not.a.token', { name: 'x' })).status).toBe(401)
    // Nothing of the refused commands was written.
    const view = await t.view(alice, b.id, c3.version)
    expect(view.version).toBe(c3.version)
    expect(layout(view)[0]!.cards).toEqual([c1.id, c2.id, c3.id])
  })
})
