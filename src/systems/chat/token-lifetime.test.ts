/**
 * Open connections do not outlive their token. `hello` says when the token expires, `expiring`
 * warns before, a `refresh` frame with a new token of the same user keeps the connection open,
 * and without one the connection gets CHAT_TOKEN_EXPIRED and is closed (WebSocket 4401), on every
 * transport. A revoked token (or every token of a user) closes its connections, also on another
 * node that shares the database, and is refused by REST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { type ChatTestApp, chatApp, PollClient, SseClient, WsClient } from './testing.js'

describe.each(backends())('token lifetime of open connections (%s)', (backend) => {
  let t: ChatTestApp
  const ADMIN = 'operator-token-of-this-test'
  /** A dev token for `user` that lives `ttlSeconds`. */
  const shortToken = async (user: string, ttlSeconds: number): Promise<string> =>
    (await t.api('POST', '/tokens', undefined, { user, ttlSeconds })).body.token
  beforeAll(async () => {
    t = await chatApp(backend, { CHAT_ADMIN_TOKEN: ADMIN, CHAT_REVOCATION_SYNC_MS: '100' })
  })
  afterAll(() => t?.close())

  it('warns before expiry and keeps a WebSocket open after a refresh', async () => {
    const c = await WsClient.connect(t.url, await shortToken('ann', 3))
    const hello = c.frames[0]
    expect(hello.expiresInMs).toBeGreaterThan(0)
    expect(hello.expiresInMs).toBeLessThanOrEqual(3_000)
    const expiresAt = Date.parse(hello.expiresAt)
    const warning = await c.next((f) => f.type === 'expiring')
    expect(warning.expiresAt).toBe(hello.expiresAt)
    // A token of someone else, or no token at all, is refused; the connection stays.
    expect(await c.request({ type: 'refresh', token: await t.token('bea') })).toMatchObject({
      code: 'CHAT_FORBIDDEN',
    })
    expect(await c.request({ type: 'refresh', token: 'garbage' })).toMatchObject({
      code: 'CHAT_UNAUTHENTICATED',
    })
    const refreshed = await c.request({ type: 'refresh', token: await t.token('ann') })
    expect(refreshed.type).toBe('refreshed')
    expect(Date.parse(refreshed.expiresAt)).toBeGreaterThan(expiresAt)
    // Past the first token's expiry (and a sweep of the hub), the connection still answers.
    await waitFor('the first token expired', () => Date.now() > expiresAt + 2_000, 10_000)
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
    expect(c.closed).toBeUndefined()
    await c.close()
  })

  it('closes a WebSocket whose token expired unrefreshed, with CHAT_TOKEN_EXPIRED and 4401', async () => {
    const c = await WsClient.connect(t.url, await shortToken('ann', 2))
    await waitFor('closed', () => c.closed !== undefined, 10_000)
    expect(c.closed).toEqual({ code: 4401, reason: 'token expired' })
    expect(c.frames.find((f) => f.type === 'error')).toMatchObject({
      code: 'CHAT_TOKEN_EXPIRED',
      status: 401,
    })
  })

  it('does the same over SSE: refreshed by a POSTed frame, or ended with the error', async () => {
    const kept = await SseClient.connect(t.url, await shortToken('ann', 3))
    const ended = await SseClient.connect(t.url, await shortToken('ann', 2))
    const expiresAt = Date.parse(kept.frames[0].expiresAt)
    await kept.next((f) => f.type === 'expiring')
    await kept.post({ v: 1, type: 'refresh', token: await t.token('ann'), id: 'r' })
    expect(await kept.next((f) => f.id === 'r')).toMatchObject({ type: 'refreshed' })
    await waitFor('the second stream ended', () => ended.ended, 10_000)
    expect(ended.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'CHAT_TOKEN_EXPIRED' })
    await waitFor('the first token expired', () => Date.now() > expiresAt + 2_000, 10_000)
    expect(kept.ended).toBe(false)
    kept.close()
  })

  it('does the same over long polling: the error is the last poll, then the session is gone', async () => {
    const token = await shortToken('ann', 2)
    const p = await PollClient.open(t.url, token)
    await p.poll()
    expect(p.frames[0]).toMatchObject({ type: 'hello' })
    await waitFor('the expiring warning', async () => {
      await p.poll(500)
      return p.frames.some((f) => f.type === 'expiring')
    })
    // Its token has expired: a poll needs a valid token of the same user (any: the session is the user's).
    const fresh = await t.token('ann')
    await waitFor('the expiry error', async () => {
      await p.poll(500, t.url, fresh)
      return p.frames.some((f) => f.code === 'CHAT_TOKEN_EXPIRED')
    })
    // The session is gone once that frame was acknowledged.
    expect((await p.poll(0, t.url, fresh)).status).toBe(404)
  })

  it('closes the connections of a revoked token, and of all tokens of a user', async () => {
    const [one, two] = [await t.token('cal'), await t.token('cal')]
    const a = await WsClient.connect(t.url, one)
    const b = await WsClient.connect(t.url, two)
    const s = await SseClient.connect(t.url, one)
    expect((await t.api('POST', '/tokens/revoke', one, {})).body).toEqual({ revoked: 'token', user: 'cal' })
    await waitFor('closed', () => a.closed !== undefined && s.ended, 10_000)
    expect(a.closed).toEqual({ code: 4401, reason: 'token revoked' })
    expect(a.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'CHAT_TOKEN_REVOKED' })
    expect(s.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'CHAT_TOKEN_REVOKED' })
    expect(await t.api('GET', '/me', one)).toMatchObject({
      status: 401,
      body: { code: 'CHAT_TOKEN_REVOKED' },
    })
    // The other token of the same user was not revoked.
    expect(await b.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
    expect((await t.api('POST', '/tokens/revoke', two, { all: true })).body).toMatchObject({
      revoked: 'user',
    })
    await waitFor('closed', () => b.closed !== undefined, 10_000)
    expect(b.closed?.code).toBe(4401)
    // A token issued after the revocation works (`iat` counts seconds: one of the same second is revoked too).
    const after = Date.now()
    await waitFor('the next second', () => Math.floor(Date.now() / 1000) > Math.floor(after / 1000))
    expect((await t.api('GET', '/me', await t.token('cal'))).status).toBe(200)
  })

  it('lets the operator revoke a user, with CHAT_ADMIN_TOKEN only', async () => {
    const c = await WsClient.connect(t.url, await t.token('dan'))
    const revoke = async (bearer: string | undefined) =>
      (
        await fetch(`${t.url}/chat/admin/revocations`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(bearer && { authorization: `Bearer ${bearer}` }),
          },
          body: JSON.stringify({ user: 'dan' }),
        })
      ).status
    expect(await revoke(undefined)).toBe(401)
    expect(await revoke(await t.token('dan'))).toBe(401)
    expect(await revoke(ADMIN)).toBe(200)
    await waitFor('closed', () => c.closed !== undefined, 10_000)
    expect(c.closed?.code).toBe(4401)
  })

  it('closes a revoked connection on another node sharing the database', async () => {
    // Two apps on one database, each with its own bus: the revocation crosses through PostgreSQL.
    const env = { DB_SCHEMA_PREFIX: `t${uniqueId()}_`, CHAT_REVOCATION_SYNC_MS: '100' }
    const nodeA = await chatApp(backend, env)
    const nodeB = await chatApp(backend, env)
    try {
      const token = await nodeA.token('eve')
      const c = await WsClient.connect(nodeB.url, token)
      expect((await nodeA.api('POST', '/tokens/revoke', token, { all: true })).status).toBe(200)
      await waitFor('closed on the other node', () => c.closed !== undefined, 10_000)
      expect(c.closed?.code).toBe(4401)
      expect((await nodeB.api('GET', '/me', token)).status).toBe(401)
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()])
    }
  })
})
