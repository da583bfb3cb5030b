/**
 * Card descriptions with y-websocket's own client provider in Node: two editors typing at once
 * converge; the document survives a restart of the server (stored in PostgreSQL); strangers and
 * bad tokens are refused; malformed and oversized messages close only their socket and never
 * change the document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type BoardTestApp, boardApp } from './testing.js'

/** An editor of `doc` on the server at `url`: y-websocket's provider, as a browser would use it. */
function editor(url: string, doc: string, token: string) {
  const ydoc = new Y.Doc()
  const provider = new WebsocketProvider(`${url.replace('http', 'ws')}/board/yjs`, doc, ydoc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  })
  const text = ydoc.getText('description')
  return { ydoc, provider, text, synced: () => waitFor(`${doc} synced`, () => provider.synced, 20_000) }
}

/** A raw socket to the endpoint, for what the provider never sends: its close code. */
function raw(url: string, path: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`)
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  ws.on('error', () => {})
  return new Promise((resolve) => {
    ws.on('open', () => resolve({ ws, closed }))
    ws.on('close', () => resolve({ ws, closed }))
  })
}

describe.each(backends())('card descriptions on Yjs (%s)', (backend) => {
  let t: BoardTestApp
  let alice: string
  let bob: string
  let card: string
  beforeAll(async () => {
    t = await boardApp(backend)
    ;[alice, bob] = await Promise.all([t.token('alice'), t.token('bob')])
    const b = await t.ok('POST', '/boards', alice, { name: 'Docs' })
    await t.ok('POST', `/boards/${b.id}/members`, alice, { user: 'bob' })
    const l = await t.ok('POST', `/boards/${b.id}/lists`, alice, { name: 'L' })
    card = (await t.ok('POST', `/lists/${l.id}/cards`, alice, { title: 'with a description' })).id
  }, 120_000)
  afterAll(() => t?.close())

  it('two editors typing at once converge, and the text survives a server restart', async () => {
    const doc = `card-${card}`
    const a = editor(t.url, doc, alice)
    const b = editor(t.url, doc, bob)
    await Promise.all([a.synced(), b.synced()])
    for (let i = 0; i < 20; i++) {
      a.text.insert(0, `a${i} `)
      b.text.insert(b.text.length, `b${i} `)
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5))
    }
    await waitFor(
      'convergence',
      () => a.text.toString() === b.text.toString() && a.text.length >= 20 * 6,
      20_000,
    )
    const text = a.text.toString()
    for (let i = 0; i < 20; i++) {
      expect(text).toContain(`a${i} `)
      expect(text).toContain(`b${i} `)
    }
    a.provider.destroy()
    b.provider.destroy()

    // A new server process on the same database: the document is read back from PostgreSQL.
    const prefix = t.app.config.dbSchemaPrefix
    await t.close()
    t = await boardApp(backend, { DB_SCHEMA_PREFIX: prefix })
    const c = editor(t.url, doc, alice)
    await c.synced()
    await waitFor('the stored text', () => c.text.toString() === text, 20_000)
    c.provider.destroy()
  }, 180_000)

  it('refuses bad tokens, strangers and unknown cards; malformed and oversized messages close only their socket', async () => {
    const doc = `card-${card}`
    const eve = await t.token('eve')
    expect(await (await raw(t.url, `/board/yjs/${doc}?token=nope`)).closed).toBe(4401)
    expect(await (await raw(t.url, `/board/yjs/${doc}?token=${eve}`)).closed).toBe(4404)
    expect(await (await raw(t.url, `/board/yjs/card-unknown?token=${alice}`)).closed).toBe(4404)
    expect(await (await raw(t.url, `/board/yjs/not-a-card?token=${alice}`)).closed).toBe(4404)

    const a = editor(t.url, doc, alice)
    await a.synced()
    a.text.insert(0, 'safe ')
    const before = await waitFor('stored', () => a.text.toString().startsWith('safe '), 10_000).then(() =>
      a.text.toString(),
    )
    const garbage = [
      Buffer.from([0, 2, 200, 1, 2, 3]), // an update whose length runs past the message
      Buffer.from([0, 2, 5, 1, 2, 3, 4, 5]), // an update that does not decode
      Buffer.from([0, 9, 0]), // an unknown sync message
      Buffer.from([255, 255, 255, 255, 255, 255, 255, 255, 255, 255]), // a varint that never ends
    ]
    for (const g of garbage) {
      const s = await raw(t.url, `/board/yjs/${doc}?token=${bob}`)
      s.ws.send(g)
      expect(await s.closed).toBe(4400)
    }
    const big = await raw(t.url, `/board/yjs/${doc}?token=${bob}`)
    big.ws.send(Buffer.alloc(2 * 1_048_576, 1))
    expect([1009, 4413]).toContain(await big.closed)
    // The document is intact and still editable by everyone.
    const b = editor(t.url, doc, bob)
    await b.synced()
    await waitFor('same text', () => b.text.toString() === before, 10_000)
    b.text.insert(b.text.length, 'after')
    await waitFor('edits still flow', () => a.text.toString() === `${before}after`, 10_000)
    a.provider.destroy()
    b.provider.destroy()
  }, 120_000)
})
