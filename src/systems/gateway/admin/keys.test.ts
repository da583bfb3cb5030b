/**
 * key-auth keys are kept as SHA-256 digests: a credential created without a key gets a random one,
 * shown once in the answer; nothing stored or served back holds a key; the proxy accepts the key;
 * the credential is found by its key; and the migration turns rows stored before into digests.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../platform/testing/backends.js'
import { APP_TIMEOUT_MS, type GatewayClient, gatewayApp, type Upstream, upstream } from '../testing.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe.each(backends())('gateway key-auth keys at rest on %s', (backend) => {
  let up: Upstream
  let gw: GatewayClient

  beforeAll(async () => {
    up = await upstream('keys-up')
    gw = await gatewayApp(backend)
    expect((await gw.admin('POST', '/services', { name: 'keys', url: up.url })).status).toBe(201)
    expect((await gw.admin('POST', '/services/keys/routes', { paths: ['/keys'] })).status).toBe(201)
    expect((await gw.admin('POST', '/services/keys/plugins', { name: 'key-auth' })).status).toBe(201)
    expect((await gw.admin('POST', '/consumers', { username: 'kim' })).status).toBe(201)
  }, APP_TIMEOUT_MS)
  afterAll(async () => {
    await gw?.close()
    await up?.close()
  })

  const db = () => gw.app.db.withSchema(`${gw.app.config.dbSchemaPrefix}gateway`)
  const stored = async () =>
    (
      await db().query<{ body: string }>(
        "SELECT body::text AS body FROM entities WHERE kind = 'keyauth_credentials'",
      )
    ).rows.map((r) => r.body)

  const status = async (key: string) => {
    const res = await request(`${gw.proxy}/keys/x`, { headers: { apikey: key } })
    await res.body.dump()
    return res.statusCode
  }

  it('generates a key when none is given, shows it once, stores only its digest', async () => {
    const created = await gw.admin('POST', '/consumers/kim/key-auth', {})
    expect(created.status).toBe(201)
    const key = created.json.key as string
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(created.json.key_hash).toBe(sha256(key))
    const again = await gw.admin('GET', `/key-auths/${created.json.id}`)
    expect(again.json.key).toBeNull()
    expect(again.json.key_hash).toBe(sha256(key))
    expect((await stored()).join('\n')).not.toContain(key)
    expect(await status(key)).toBe(200)
    expect(await status(`${key}x`)).toBe(401)
  })

  it('keeps a given key as a digest only; finds the credential by its key; refuses it twice', async () => {
    const key = 'kims-chosen-key-123'
    const created = await gw.admin('POST', '/consumers/kim/key-auth', { key })
    expect(created.status).toBe(201)
    expect(created.json.key).toBe(key)
    const everything = [
      ...(await stored()),
      (await gw.admin('GET', '/key-auths')).body,
      (await gw.admin('GET', '/config')).body,
    ].join('\n')
    expect(everything).not.toContain(key)
    expect((await gw.admin('GET', `/key-auths/${key}`)).json.id).toBe(created.json.id)
    expect((await gw.admin('POST', '/consumers/kim/key-auth', { key })).status).toBe(409)
    expect(await status(key)).toBe(200)
  })

  it('the migration turns a key stored in the clear into its digest', async () => {
    const sql = readFileSync(new URL('../sql/0003_hashed_keys.sql', import.meta.url), 'utf8')
    const old = { id: 'old-cred', consumer: 'c', key: 'plain-old-key', created_at: 1 }
    const hash = await db().tx(async (q) => {
      await q.query(
        "INSERT INTO entities (kind, id, body, created_at, workspace) VALUES ('keyauth_credentials', 'old-cred', $1, 1, 'nowhere')",
        [JSON.stringify(old)],
      )
      await q.query(sql)
      const row = await q.query<{ body: string }>(
        "SELECT body::text AS body FROM entities WHERE id = 'old-cred'",
      )
      await q.query("DELETE FROM entities WHERE id = 'old-cred'")
      return row.rows[0]!.body
    })
    const body = JSON.parse(hash)
    expect(body.key).toBeNull()
    expect(body.key_hash).toBe(sha256('plain-old-key'))
  })
})
