/** The REST API: tokens, rooms, members, history pagination, idempotent sends, edits, reactions, receipts, search. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type ChatTestApp, chatApp, type Json } from './testing.js'

describe.each(backends())('chat REST API (%s)', (backend) => {
  let t: ChatTestApp
  let alice: string
  let bob: string
  let carol: string
  beforeAll(async () => {
    // Rate limits are tested on their own below; here writes come in bursts.
    t = await chatApp(backend, { CHAT_MESSAGES_PER_SECOND: '100000' })
    ;[alice, bob, carol] = await Promise.all([t.token('alice'), t.token('bob'), t.token('carol')])
  })
  afterAll(() => t?.close())

  it('documents every route in OpenAPI', async () => {
    const res = await fetch(`${t.url}/openapi.json`)
    expect(res.status).toBe(200)
    const paths = Object.keys(((await res.json()) as { paths: object }).paths)
    expect(paths).toEqual(
      expect.arrayContaining(['/chat/rooms', '/chat/rooms/{room}/messages', '/chat/search']),
    )
  })

  it('documents the bearer token in OpenAPI: the schemes, and which routes require one', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as Json
    expect(doc.components.securitySchemes).toMatchObject({
      chatBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      chatAccessToken: { type: 'apiKey', in: 'query', name: 'access_token' },
    })
    const required = [{ chatBearer: [] }, { chatAccessToken: [] }]
    const open = ['POST /chat/tokens', 'GET /chat/.well-known/jwks.json']
    let checked = 0
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      if (!path.startsWith('/chat/')) continue
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method.toUpperCase()} ${path}`
        if (open.includes(route)) expect(op.security, route).toEqual([])
        else {
          const admin = route === 'POST /chat/admin/revocations'
          expect(op.security, route).toEqual(admin ? [{ chatAdmin: [] }] : required)
          // The document matches the server: without a token, the route answers 401.
          const url = path.replace(/\{[^}]+\}/g, '1')
          const res = await fetch(`${t.url}${url}`, {
            method: method.toUpperCase(),
            ...(['post', 'put', 'patch'].includes(method) && {
              headers: { 'content-type': 'application/json' },
              body: '{}',
            }),
          })
          expect(res.status, route).toBe(401)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(20)
  })

  it('refuses missing, forged and expired tokens with 401 problem+json', async () => {
    expect((await t.api('GET', '/rooms', undefined)).status).toBe(401)
    const forged = `${alice.slice(0, -4)}AAAA`
    const r = await t.api('GET', '/rooms', forged)
    expect(r.status).toBe(401)
    expect(r.body.code).toBe('CHAT_UNAUTHENTICATED')
    expect((await t.api('GET', '/me', alice)).body).toEqual({ user: 'alice' })
    expect((await t.api('POST', '/tokens', undefined, { user: 'bad name!' })).status).toBe(400)
  })

  it('pages history with before, after and limit, in offset order', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'paging' })).body
    const offsets: number[] = []
    for (let i = 0; i < 25; i++)
      offsets.push((await t.api('POST', `/rooms/${room.id}/messages`, alice, { body: `m${i}` })).body.offset)
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i))
    const latest = (await t.api('GET', `/rooms/${room.id}/messages?limit=10`, alice)).body
    expect(latest.messages.map((m: { body: string }) => m.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${15 + i}`),
    )
    expect(latest.hasMore).toBe(true)
    // Walk backwards to the start: every message once.
    const seen: string[] = [...latest.messages.map((m: { body: string }) => m.body)]
    let before = latest.messages[0].offset
    for (;;) {
      const page = (await t.api('GET', `/rooms/${room.id}/messages?limit=10&before=${before}`, alice)).body
      seen.unshift(...page.messages.map((m: { body: string }) => m.body))
      if (!page.hasMore) break
      before = page.messages[0].offset
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`))
    const after = (await t.api('GET', `/rooms/${room.id}/messages?after=${offsets[4]}&limit=3`, alice)).body
    expect(after.messages.map((m: { body: string }) => m.body)).toEqual(['m5', 'm6', 'm7'])
    const between = (
      await t.api('GET', `/rooms/${room.id}/messages?after=${offsets[4]}&before=${offsets[7]}`, alice)
    ).body
    expect(between.messages.map((m: { body: string }) => m.body)).toEqual(['m5', 'm6'])
    expect((await t.api('GET', `/rooms/${room.id}/messages?limit=0`, alice)).status).toBe(400)
  })

  it('makes a resent message with the same cid idempotent, also under concurrency', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'idem' })).body
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.api('POST', `/rooms/${room.id}/messages`, alice, { body: 'once', cid: 'c-1' }),
      ),
    )
    expect(new Set(results.map((r) => r.body.offset)).size).toBe(1)
    expect(results.filter((r) => r.status === 201)).toHaveLength(1)
    expect(results.filter((r) => r.body.duplicate)).toHaveLength(9)
    const h = (await t.api('GET', `/rooms/${room.id}/messages`, alice)).body
    expect(h.messages.filter((m: { body: string }) => m.body === 'once')).toHaveLength(1)
  })

  it('commits concurrent sends in batches with dense offsets; a bad item fails alone', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'batch', members: ['bob'] })).body
    const sends = [
      ...Array.from({ length: 30 }, (_, i) =>
        t.api('POST', `/rooms/${room.id}/messages`, alice, { body: `a${i}` }),
      ),
      ...Array.from({ length: 30 }, (_, i) =>
        t.api('POST', `/rooms/${room.id}/messages`, bob, { body: `b${i}` }),
      ),
      t.api('POST', `/rooms/${room.id}/messages`, carol, { body: 'outsider' }),
      t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'orphan', parent: 999_999 }),
      t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'dup', cid: 'same' }),
      t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'dup', cid: 'same' }),
    ]
    const results = await Promise.all(sends)
    expect(results.slice(0, 60).every((r) => r.status === 201)).toBe(true)
    expect(results[60]!.status).toBe(403)
    expect(results[61]!.status).toBe(422)
    expect(
      results
        .slice(62)
        .map((r) => r.body.duplicate)
        .sort(),
    ).toEqual([false, true])
    const offsets = results
      .filter((r) => r.status === 201)
      .map((r) => r.body.offset)
      .sort((x, y) => x - y)
    expect(offsets).toEqual(Array.from({ length: 61 }, (_, i) => room.head + 1 + i))
    const history = (await t.api('GET', `/rooms/${room.id}/messages?limit=100`, alice)).body.messages
    // Concurrent HTTP requests have no order; every one is stored once.
    const bodies = history.map((m: { body: string }) => m.body).filter((b: string) => /^[ab]\d+$/.test(b))
    expect(bodies.sort()).toEqual(
      [
        ...Array.from({ length: 30 }, (_, i) => `a${i}`),
        ...Array.from({ length: 30 }, (_, i) => `b${i}`),
      ].sort(),
    )
  })

  it('keeps private rooms private and lets the owner manage members', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'secret', kind: 'private' })).body
    expect((await t.api('GET', `/rooms/${room.id}`, bob)).status).toBe(404)
    expect((await t.api('GET', `/rooms/${room.id}/messages`, bob)).status).toBe(404)
    expect((await t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'x' })).status).toBe(404)
    // Outsiders cannot tell a private room exists.
    expect((await t.api('PUT', `/rooms/${room.id}/members/bob`, bob)).status).toBe(404)
    expect((await t.api('PUT', `/rooms/${room.id}/members/bob`, alice)).body.added).toBe(true)
    expect((await t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'in' })).status).toBe(201)
    expect((await t.api('DELETE', `/rooms/${room.id}/members/alice`, bob)).status).toBe(403)
    expect((await t.api('DELETE', `/rooms/${room.id}/members/bob`, bob)).status).toBe(204)
    expect((await t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'x' })).status).toBe(404)
    const pub = (await t.api('POST', '/rooms', alice, { name: 'open' })).body
    expect((await t.api('PUT', `/rooms/${pub.id}/members/carol`, carol)).body.added).toBe(true)
    const mine = (await t.api('GET', '/rooms', carol)).body
    expect(mine.map((r: { id: number }) => r.id)).toContain(pub.id)
  })

  it('opens one direct room per pair', async () => {
    const a = (await t.api('POST', '/direct', alice, { user: 'bob' })).body
    const b = (await t.api('POST', '/direct', bob, { user: 'alice' })).body
    expect(a.id).toBe(b.id)
    expect(a.kind).toBe('direct')
    expect((await t.api('GET', `/rooms/${a.id}`, carol)).status).toBe(404)
    expect((await t.api('POST', '/direct', alice, { user: 'alice' })).status).toBe(400)
  })

  it('edits, deletes and reacts with history kept; threads by parent', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'edits', members: ['bob'] })).body
    const m = (await t.api('POST', `/rooms/${room.id}/messages`, alice, { body: 'first draft' })).body
    const reply = (
      await t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'a reply', parent: m.offset })
    ).body
    expect((await t.api('POST', `/rooms/${room.id}/messages`, bob, { body: 'x', parent: 9999 })).status).toBe(
      422,
    )
    expect(
      (await t.api('PATCH', `/rooms/${room.id}/messages/${m.offset}`, bob, { body: 'hijack' })).status,
    ).toBe(403)
    expect(
      (await t.api('PATCH', `/rooms/${room.id}/messages/${m.offset}`, alice, { body: 'final' })).status,
    ).toBe(200)
    expect((await t.api('PUT', `/rooms/${room.id}/messages/${m.offset}/reactions/👍`, bob)).status).toBe(204)
    const got = (await t.api('GET', `/rooms/${room.id}/messages/${m.offset}`, alice)).body
    expect(got).toMatchObject({ body: 'final', reactions: { '👍': ['bob'] }, replies: 1 })
    expect(got.editedAt).toEqual(expect.any(String))
    expect(got.history.map((e: { data: unknown }) => e.data)).toEqual([
      { body: 'final', previous: 'first draft' },
    ])
    const thread = (await t.api('GET', `/rooms/${room.id}/messages?thread=${m.offset}`, alice)).body
    expect(thread.messages.map((x: { offset: number }) => x.offset)).toEqual([reply.offset])
    expect((await t.api('DELETE', `/rooms/${room.id}/messages/${reply.offset}`, bob)).status).toBe(200)
    const deleted = (await t.api('GET', `/rooms/${room.id}/messages/${reply.offset}`, alice)).body
    expect(deleted).toMatchObject({ deleted: true, body: '' })
    expect(deleted.history.at(-1)).toMatchObject({ kind: 'delete', data: { previous: 'a reply' } })
  })

  it('moves read receipts forward only, never past the head', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'receipts', members: ['bob'] })).body
    const m = (await t.api('POST', `/rooms/${room.id}/messages`, alice, { body: 'read me' })).body
    expect((await t.api('PUT', `/rooms/${room.id}/read`, bob, { offset: m.offset })).body.lastRead).toBe(
      m.offset,
    )
    expect((await t.api('PUT', `/rooms/${room.id}/read`, bob, { offset: 1 })).body.lastRead).toBe(m.offset)
    expect((await t.api('PUT', `/rooms/${room.id}/read`, bob, { offset: 10_000 })).body.lastRead).toBe(
      m.offset,
    )
    const members = (await t.api('GET', `/rooms/${room.id}/members`, alice)).body
    expect(members.find((x: { user: string }) => x.user === 'bob').lastRead).toBe(m.offset)
    expect((await t.api('PUT', `/rooms/${room.id}/read`, carol, { offset: 1 })).status).toBe(403)
  })

  it('searches the rooms a user belongs to, with escaped highlights', async () => {
    const room = (await t.api('POST', '/rooms', alice, { name: 'search', kind: 'private' })).body
    await t.api('POST', `/rooms/${room.id}/messages`, alice, {
      body: 'Deploying the <b>rocket</b> engines today',
    })
    await t.api('POST', `/rooms/${room.id}/messages`, alice, { body: 'lunch?' })
    const hits = (await t.api('GET', `/search?q=${encodeURIComponent('rocket engine')}`, alice)).body.hits
    expect(hits).toHaveLength(1)
    expect(hits[0].highlight).toContain('<mark>rocket</mark>')
    expect(hits[0].highlight).toContain('&lt;b&gt;')
    expect(hits[0].highlight).toContain('<mark>engines</mark>')
    expect((await t.api('GET', '/search?q=rocket', bob)).body.hits).toEqual([])
    expect((await t.api('GET', `/search?q=rocket&room=${room.id}`, bob)).status).toBe(404)
    // Any text is a valid query (websearch syntax never fails).
    expect((await t.api('GET', `/search?q=${encodeURIComponent('"unclosed & | !')}`, alice)).status).toBe(200)
  })

  it('limits the rooms per user and message size', async () => {
    const small = await chatApp(backend, { CHAT_MAX_ROOMS_PER_USER: '2', CHAT_MAX_MESSAGE_BYTES: '100' })
    try {
      const dan = await small.token('dan')
      expect((await small.api('POST', '/rooms', dan, { name: 'a' })).status).toBe(201)
      const b = (await small.api('POST', '/rooms', dan, { name: 'b' })).body
      const r = await small.api('POST', '/rooms', dan, { name: 'c' })
      expect(r.status).toBe(409)
      expect(r.body.code).toBe('CHAT_TOO_MANY_ROOMS')
      const big = await small.api('POST', `/rooms/${b.id}/messages`, dan, { body: 'é'.repeat(51) })
      expect(big.status).toBe(413)
      expect(big.body.code).toBe('CHAT_MESSAGE_TOO_LARGE')
    } finally {
      await small.close()
    }
  })
})
