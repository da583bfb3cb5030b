/**
 * The admin API, as Kong's clients call it: create a service, a nested route, a consumer with a
 * key and a plugin; the proxy serves the change at once; Kong's list, reference and error shapes;
 * cascades and refusals; the token guard; DB-less mode is read-only.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  APP_TIMEOUT_MS,
  configFile,
  type GatewayClient,
  gatewayApp,
  type Upstream,
  upstream,
} from '../testing.js'

const TOKEN = 'gw-admin-token-test'

describe('gateway admin API', () => {
  let up: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    up = await upstream('admin-up')
    gw = await gatewayApp('embedded', { GATEWAY_ADMIN_TOKEN: TOKEN })
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
  })

  it('refuses calls without the admin token', async () => {
    const res = await gw.admin('GET', '/services', undefined, { authorization: 'Bearer wrong' })
    expect(res.status).toBe(401)
    expect(res.json.message).toContain('GATEWAY_ADMIN_TOKEN')
  })

  it('creates a service, a nested route, a consumer, a key and a plugin; the proxy serves them at once', async () => {
    const svc = await gw.admin('POST', '/services', { name: 'orders', url: `${up.url}/v1` })
    expect(svc.status).toBe(201)
    expect(svc.json).toMatchObject({
      name: 'orders',
      host: '127.0.0.1',
      port: up.port,
      path: '/v1',
      retries: 5,
    })
    const route = await gw.admin('POST', '/services/orders/routes', {
      name: 'orders-route',
      paths: ['/orders'],
    })
    expect(route.status).toBe(201)
    expect(route.json.service).toEqual({ id: svc.json.id })
    expect(route.json.strip_path).toBe(true)

    let res = await request(`${gw.proxy}/orders/7`)
    expect(res.statusCode).toBe(200)
    expect(((await res.body.json()) as { url: string }).url).toBe('/v1/7')

    expect((await gw.admin('POST', '/consumers', { username: 'ann' })).status).toBe(201)
    expect((await gw.admin('POST', '/consumers/ann/key-auth', { key: 'ann-key' })).status).toBe(201)
    const plugin = await gw.admin('POST', '/routes/orders-route/plugins', { name: 'key-auth' })
    expect(plugin.status).toBe(201)
    expect(plugin.json.config.key_names).toEqual(['apikey'])
    res = await request(`${gw.proxy}/orders/7`)
    expect(res.statusCode).toBe(401)
    await res.body.dump()
    res = await request(`${gw.proxy}/orders/7`, { headers: { apikey: 'ann-key' } })
    expect(res.statusCode).toBe(200)
    await res.body.dump()

    // PATCH merges; the plugin's config is merged one level deep.
    const patched = await gw.admin('PATCH', `/plugins/${plugin.json.id}`, {
      config: { key_names: ['x-key'] },
    })
    expect(patched.json.config).toMatchObject({ key_names: ['x-key'], hide_credentials: false })
    res = await request(`${gw.proxy}/orders/7`, { headers: { 'x-key': 'ann-key' } })
    expect(res.statusCode).toBe(200)
    await res.body.dump()

    // Kong's top-level form names the route as `{ "id": ... }` (decK and Kong's docs write it so).
    const byRef = await gw.admin('POST', '/plugins', {
      name: 'correlation-id',
      route: { id: route.json.id },
    })
    expect(byRef.status).toBe(201)
    expect(byRef.json.route).toEqual({ id: route.json.id })
    expect((await gw.admin('DELETE', `/plugins/${byRef.json.id}`)).status).toBe(204)
  })

  it("lists in Kong's shape with paging", async () => {
    for (let i = 0; i < 3; i++) await gw.admin('POST', '/upstreams', { name: `pool-${i}.internal` })
    const first = await gw.admin('GET', '/upstreams?size=2')
    expect(first.json.data).toHaveLength(2)
    expect(first.json.next).toBe('/gateway/admin/upstreams?size=2&offset=2')
    const second = await gw.admin('GET', first.json.next.replace('/gateway/admin', ''))
    expect(second.json.data).toHaveLength(1)
    expect(second.json.next).toBeNull()
    const targets = await gw.admin('POST', '/upstreams/pool-0.internal/targets', {
      target: '10.0.0.1:8080',
      weight: 50,
    })
    expect(targets.status).toBe(201)
    expect((await gw.admin('GET', '/upstreams/pool-0.internal/targets')).json.data[0]).toMatchObject({
      target: '10.0.0.1:8080',
      weight: 50,
    })
  })

  it("answers Kong's errors: schema violation, unique violation, not found, foreign key", async () => {
    const bad = await gw.admin('POST', '/routes', { name: 'r', paths: ['/x'], snis: ['a'] })
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ code: 2, name: 'schema violation' })
    expect(bad.json.message).toContain('snis')
    const plugin = await gw.admin('POST', '/plugins', { name: 'acl', config: {} })
    expect(plugin.status).toBe(400)
    expect(plugin.json.message).toContain("plugin 'acl' is not supported")
    const dup = await gw.admin('POST', '/services', { name: 'orders', url: 'http://127.0.0.1:9' })
    expect(dup.status).toBe(409)
    expect(dup.json.name).toBe('unique constraint violation')
    expect((await gw.admin('GET', '/services/nope')).status).toBe(404)
    const dangling = await gw.admin('POST', '/routes', {
      paths: ['/y'],
      service: { id: '00000000-0000-4000-8000-000000000000' },
    })
    expect(dangling.status).toBe(400)
    expect(dangling.json.message).not.toContain('expected a string')
    // A service with routes cannot go (Kong's foreign key rule); its route can, then it can.
    const fk = await gw.admin('DELETE', '/services/orders')
    expect(fk.status).toBe(400)
    expect(fk.json.name).toBe('foreign key violation')
    expect((await gw.admin('DELETE', '/routes/orders-route')).status).toBe(204)
    expect((await gw.admin('DELETE', '/services/orders')).status).toBe(204)
    // The route's plugin went with it.
    expect((await gw.admin('GET', '/plugins')).json.data).toEqual([])
  })

  it('deleting a consumer takes its credentials', async () => {
    expect((await gw.admin('DELETE', '/consumers/ann')).status).toBe(204)
    expect((await gw.admin('GET', '/key-auths')).json.data).toEqual([])
  })
})

describe('gateway admin API in DB-less mode', () => {
  let gw: GatewayClient
  beforeAll(async () => {
    const file = await configFile({
      _format_version: '3.0',
      services: [{ name: 'one', url: 'http://127.0.0.1:9' }],
    })
    gw = await gatewayApp('embedded', { GATEWAY_CONFIG: file })
  }, APP_TIMEOUT_MS)
  afterAll(() => gw?.close())

  it('reads the file and refuses writes with 405, as Kong does', async () => {
    expect((await gw.admin('GET', '/services')).json.data[0].name).toBe('one')
    const res = await gw.admin('POST', '/services', { name: 'two', url: 'http://127.0.0.1:9' })
    expect(res.status).toBe(405)
    expect(res.json.message).toBe("cannot create 'services' entities when not using a database")
  })
})
