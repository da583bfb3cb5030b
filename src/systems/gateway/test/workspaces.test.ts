/**
 * Workspaces are tenants: two of them configure a service of the same name, a consumer of the same
 * name with their own keys, and their own rate limits; neither sees, authenticates with, counts
 * against or reaches the other's. Metrics carry the workspace. A workspace token acts on its own
 * workspace only (403 elsewhere, 401 when unknown); only the gateway's token manages workspaces.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import {
  APP_TIMEOUT_MS,
  type GatewayClient,
  gatewayApp,
  type Json,
  type Upstream,
  upstream,
} from '../testing.js'

const ROOT = 'gw-root-token-test'
const TOKEN_A = 'team-a-token-test'
const TOKEN_B = 'team-b-token-test'
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

describe.each(backends())('gateway workspaces on %s', (backend) => {
  let upA: Upstream
  let upB: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    upA = await upstream('team-a-up')
    upB = await upstream('team-b-up')
    gw = await gatewayApp(backend, {
      GATEWAY_ADMIN_TOKEN: ROOT,
      GATEWAY_WORKSPACE_TOKENS: `team-a:${TOKEN_A},team-b:${TOKEN_B},team-c:${TOKEN_B}`,
    })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await upA?.close()
    await upB?.close()
  })

  const call = async (host: string, key?: string) => {
    const res = await request(`${gw.proxy}/orders`, {
      headers: { host, ...(key && { apikey: key }) },
    })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, text }
  }

  it('creates workspaces; refuses reserved and duplicate names', async () => {
    for (const name of ['team-a', 'team-b']) {
      const res = await gw.admin('POST', '/workspaces', { name, comment: `the ${name} tenant` })
      expect(res.status).toBe(201)
      expect(res.json).toMatchObject({ name, comment: `the ${name} tenant` })
    }
    expect((await gw.admin('POST', '/workspaces', { name: 'team-a' })).status).toBe(409)
    const reserved = await gw.admin('POST', '/workspaces', { name: 'services' })
    expect(reserved.status).toBe(400)
    expect(reserved.json.message).toContain('reserved')
    const names = (await gw.admin('GET', '/workspaces')).json.data.map((w: Json) => w.name)
    expect(names).toEqual(expect.arrayContaining(['default', 'team-a', 'team-b']))
    expect((await gw.admin('GET', '/no-such-ws/services')).status).toBe(404)
  })

  it('keeps entities, consumers and keys apart; the same names live in both', async () => {
    const setup = async (ws: string, up: Upstream, host: string, key: string, perMinute: number) => {
      const svc = await gw.admin('POST', `/${ws}/services`, { name: 'orders', url: up.url })
      expect(svc.status).toBe(201)
      expect(
        (
          await gw.admin('POST', `/${ws}/services/orders/routes`, {
            name: 'orders',
            hosts: [host],
            paths: ['/orders'],
          })
        ).status,
      ).toBe(201)
      expect((await gw.admin('POST', `/${ws}/consumers`, { username: 'alice' })).status).toBe(201)
      expect((await gw.admin('POST', `/${ws}/consumers/alice/key-auth`, { key })).status).toBe(201)
      expect((await gw.admin('POST', `/${ws}/plugins`, { name: 'key-auth' })).status).toBe(201)
      const rl = await gw.admin('POST', `/${ws}/plugins`, {
        name: 'rate-limiting',
        config: { minute: perMinute, policy: 'redis', limit_by: 'ip' },
      })
      expect(rl.status).toBe(201)
      return svc.json
    }
    const svcA = await setup('team-a', upA, 'a.example', 'key-of-a', 2)
    const svcB = await setup('team-b', upB, 'b.example', 'key-of-b', 50)

    const listA = (await gw.admin('GET', '/team-a/services')).json.data
    expect(listA.map((s: Json) => s.id)).toEqual([svcA.id])
    expect((await gw.admin('GET', '/services')).json.data.map((s: Json) => s.id)).not.toContain(svcA.id)
    // Another workspace's entity is not found by id, and its id cannot be taken.
    expect((await gw.admin('GET', `/team-b/services/${svcA.id}`)).status).toBe(404)
    const stolen = await gw.admin('POST', '/team-b/services', { id: svcA.id, name: 'x', url: upB.url })
    expect(stolen.status).toBe(409)
    expect((await gw.admin('GET', `/team-a/services/${svcA.id}`)).json.host).toBe('127.0.0.1')

    // Each workspace's key opens its own routes only.
    const okA = await call('a.example', 'key-of-a')
    expect(okA.status).toBe(200)
    expect(JSON.parse(okA.text).upstream).toBe('team-a-up')
    expect((await call('a.example', 'key-of-b')).status).toBe(401)
    expect((await call('b.example', 'key-of-a')).status).toBe(401)
    const okB = await call('b.example', 'key-of-b')
    expect(okB.status).toBe(200)
    expect(JSON.parse(okB.text).upstream).toBe('team-b-up')
    expect(svcB.id).not.toBe(svcA.id)
  })

  it("counts rate limits per workspace: team-a's exhausted limit leaves team-b's untouched", async () => {
    const a: number[] = []
    for (let i = 0; i < 3; i++) a.push((await call('a.example', 'key-of-a')).status)
    expect(a).toContain(429)
    const b = await call('b.example', 'key-of-b')
    expect(b.status).toBe(200)
    // team-b's counter holds only its own requests (one in the test before, this one).
    expect(Number(b.headers['x-ratelimit-remaining-minute'])).toBe(48)
  })

  it('labels metrics with the workspace', async () => {
    const res = await gw.app.http.inject({ url: '/metrics' })
    const lines = res.body.split('\n').filter((l) => l.startsWith('gateway_proxy_duration_seconds_count'))
    expect(lines.some((l) => l.includes('workspace="team-a"') && l.includes('status="429"'))).toBe(true)
    expect(lines.some((l) => l.includes('workspace="team-b"') && l.includes('status="200"'))).toBe(true)
    expect(lines.some((l) => l.includes('workspace="team-b"') && l.includes('status="429"'))).toBe(false)
  })

  it('scopes a workspace token to its workspaces: 403 outside, 401 when unknown', async () => {
    expect((await gw.admin('GET', '/team-a/services', undefined, bearer(TOKEN_A))).status).toBe(200)
    const other = await gw.admin('GET', '/team-b/services', undefined, bearer(TOKEN_A))
    expect(other.status).toBe(403)
    expect(other.json.message).toContain('team-b')
    expect((await gw.admin('GET', '/services', undefined, bearer(TOKEN_A))).status).toBe(403)
    expect((await gw.admin('POST', '/team-b/consumers', { username: 'eve' }, bearer(TOKEN_A))).status).toBe(
      403,
    )
    expect((await gw.admin('GET', '/team-b/consumers/eve', undefined, bearer(ROOT))).status).toBe(404)
    expect((await gw.admin('GET', '/team-a/services', undefined, bearer('not-a-token'))).status).toBe(401)
    // Workspaces: a token sees its own, only the gateway's token manages them.
    const seen = (await gw.admin('GET', '/workspaces', undefined, bearer(TOKEN_B))).json.data.map(
      (w: Json) => w.name,
    )
    expect(seen).toEqual(['team-b'])
    expect((await gw.admin('GET', '/workspaces/team-a', undefined, bearer(TOKEN_B))).status).toBe(403)
    expect((await gw.admin('POST', '/workspaces', { name: 'team-d' }, bearer(TOKEN_A))).status).toBe(403)
    expect((await gw.admin('DELETE', '/workspaces/team-b', undefined, bearer(TOKEN_B))).status).toBe(403)
    // A token's writes land in its workspace.
    expect((await gw.admin('POST', '/team-a/consumers', { username: 'bob' }, bearer(TOKEN_A))).status).toBe(
      201,
    )
    expect((await gw.admin('GET', '/team-a/consumers/bob')).status).toBe(200)
    expect((await gw.admin('GET', '/team-b/consumers/bob')).status).toBe(404)
  })

  it('deletes a workspace only once it is empty; never the default one', async () => {
    const busy = await gw.admin('DELETE', '/workspaces/team-b')
    expect(busy.status).toBe(400)
    expect(busy.json.message).toContain('not empty')
    expect((await gw.admin('DELETE', '/workspaces/default')).status).toBe(400)
    expect((await gw.admin('POST', '/workspaces', { name: 'scratch' })).status).toBe(201)
    expect((await gw.admin('DELETE', '/workspaces/scratch')).status).toBe(204)
    expect((await gw.admin('GET', '/workspaces/scratch')).status).toBe(404)
    expect((await gw.admin('GET', '/scratch/services')).status).toBe(404)
  })
})
