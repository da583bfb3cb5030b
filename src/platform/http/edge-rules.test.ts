/**
 * The edge rules every route gets from the platform: text PostgreSQL cannot store is a 400
 * naming the field (path, query, body; a batch's items left to the route), a query escape that
 * is not UTF-8 is a 400, an empty JSON body is no body where the route takes none, and unknown
 * fields are refused where the schema closes the object.
 */
import { Type } from '@sinclair/typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { defineSystem } from '../system.js'
import { buildTestApp } from '../testing/app.js'
import { findUnstorableText } from '../text/storable.js'
import { badlyEncodedQueryKey } from './storable-text.js'

/** Routes that echo what they got, one per shape of input. */
const edgeSystem = defineSystem({
  name: 'edge',
  description: 'edge rules test system',
  async create() {
    return {
      routes(app) {
        app.get(
          '/things/:id',
          { schema: { querystring: Type.Object({ q: Type.Optional(Type.String()) }) } },
          async (req) => ({ params: req.params, query: req.query }),
        )
        app.post(
          '/things',
          {
            schema: {
              body: Type.Object(
                { name: Type.String(), meta: Type.Optional(Type.Object({ note: Type.String() })) },
                { additionalProperties: false },
              ),
            },
          },
          async (req) => ({ body: req.body }),
        )
        app.post('/open', { schema: { body: Type.Object({ name: Type.String() }) } }, async (req) => ({
          body: req.body,
        }))
        app.post(
          '/batch',
          {
            config: { perItemText: 'items' },
            schema: { body: Type.Object({ label: Type.String(), items: Type.Array(Type.Unknown()) }) },
          },
          async (req) => ({
            results: req.body.items.map((item) => {
              const bad = findUnstorableText(item)
              return bad === undefined ? { ok: true } : { ok: false, field: bad }
            }),
          }),
        )
        app.delete('/things/:id', async (req) => ({
          deleted: (req.params as { id: string }).id,
          body: req.body ?? null,
        }))
        app.post('/things/:id/touch', async (req) => ({ touched: (req.params as { id: string }).id }))
      },
    }
  },
})

let app: App
beforeAll(async () => {
  app = await buildTestApp('embedded', { systems: [edgeSystem] })
})
afterAll(() => app.close())

const json = { 'content-type': 'application/json' }

async function send(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: string) {
  const res = await app.http.inject({ method, url, headers: payload === undefined ? {} : json, payload })
  return { status: res.statusCode, body: res.json() }
}

describe('text PostgreSQL cannot store', () => {
  it.each([
    ['a path parameter', 'GET', '/edge/things/a%00b', undefined, 'id'],
    ['a query parameter', 'GET', '/edge/things/1?q=a%00', undefined, 'q'],
    ['an unknown query parameter', 'GET', '/edge/things/1?other=%00', undefined, 'other'],
    ['a body field (U+0000)', 'POST', '/edge/things', JSON.stringify({ name: 'a\u0000' }), 'name'],
    ['a body field (lone high surrogate)', 'POST', '/edge/things', '{"name":"\\ud800x"}', 'name'],
    [
      'a nested body field (lone low surrogate)',
      'POST',
      '/edge/things',
      '{"name":"ok","meta":{"note":"\\udc00"}}',
      'meta.note',
    ],
    ['a body key', 'POST', '/edge/open', '{"name":"ok","k\\u0000":1}', 'k\\u0000'],
  ] as const)('in %s is a 400 naming it', async (_what, method, url, payload, field) => {
    const res = await send(method, url, payload)
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('UNSTORABLE_TEXT')
    expect(res.body.invalidParams).toEqual([{ name: field, reason: expect.stringContaining('U+0000') }])
    expect(res.body.detail).toContain(field)
  })

  it('lets a surrogate pair (an astral character) and U+FFFD through', async () => {
    const res = await send('POST', '/edge/things', JSON.stringify({ name: '😀\uFFFD', meta: { note: '𝄞' } }))
    expect(res.status).toBe(200)
    expect(res.body.body).toEqual({ name: '😀\uFFFD', meta: { note: '𝄞' } })
    expect((await send('GET', '/edge/things/%F0%9F%98%80?q=%F0%9D%84%9E')).body).toEqual({
      params: { id: '😀' },
      query: { q: '𝄞' },
    })
  })

  it('refuses a query escape that is not UTF-8 (an encoded surrogate) instead of decoding it to U+FFFD', async () => {
    const res = await send('GET', '/edge/things/1?q=a%ED%A0%80b')
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('INVALID_URL_ENCODING')
    expect(res.body.invalidParams[0].name).toBe('q')
    expect((await send('GET', '/edge/things/1?q=%C3')).status).toBe(400)
  })

  it('refuses a path escape that is not UTF-8', async () => {
    const res = await send('GET', '/edge/things/%ED%A0%80')
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('INVALID_URL_ENCODING')
  })

  it('leaves the items of a per-item batch to the route: one bad item fails alone', async () => {
    const items = [{ body: 'ok' }, { body: 'bad\u0000' }, { body: 'ok too' }, { t: '\ud800' }]
    const res = await send('POST', '/edge/batch', JSON.stringify({ label: 'x', items }))
    expect(res.status).toBe(200)
    expect(res.body.results).toEqual([
      { ok: true },
      { ok: false, field: 'body' },
      { ok: true },
      { ok: false, field: 't' },
    ])
    // The batch's own fields are still the edge's.
    const label = await send('POST', '/edge/batch', JSON.stringify({ label: '\u0000', items }))
    expect(label.status).toBe(400)
    expect(label.body.invalidParams[0].name).toBe('label')
  })
})

describe('badlyEncodedQueryKey', () => {
  it.each([
    ['/p', undefined],
    ['/p?a=1&b=%C3%A9', undefined],
    ['/p?a=%F0%9F%98%80', undefined],
    ['/p?a=%ED%A0%80', 'a'],
    ['/p?ok=1&x+y=%FF', 'x y'],
    ['/p?%E9t%E9=1', '%E9t%E9'],
    ['/p?a=%zz&b=%80', 'b'],
    ['/p?a=%C3', 'a'],
  ])('%s -> %s', (url, key) => {
    expect(badlyEncodedQueryKey(url)).toBe(key)
  })
})

describe('an empty JSON body', () => {
  it('is no body on a route that takes none (DELETE and POST)', async () => {
    const del = await send('DELETE', '/edge/things/7', '')
    expect(del).toEqual({ status: 200, body: { deleted: '7', body: null } })
    const post = await send('POST', '/edge/things/7/touch', '')
    expect(post).toEqual({ status: 200, body: { touched: '7' } })
  })

  it('is still a 400 on a route that takes a body', async () => {
    const res = await send('POST', '/edge/things', '')
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('INVALID_JSON')
  })
})

describe('unknown body fields', () => {
  it('are refused with a 400 naming them where the schema closes the object', async () => {
    const res = await send('POST', '/edge/things', JSON.stringify({ name: 'a', delay: -1000 }))
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('VALIDATION_FAILED')
    expect(res.body.invalidParams).toEqual([{ name: 'delay', reason: 'is not a known field' }])
  })

  it('are kept where the schema leaves the object open', async () => {
    const res = await send('POST', '/edge/open', JSON.stringify({ name: 'a', extra: 1 }))
    expect(res.status).toBe(200)
    expect(res.body.body).toEqual({ name: 'a', extra: 1 })
  })
})
