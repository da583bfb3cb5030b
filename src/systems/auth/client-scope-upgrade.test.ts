/**
 * Clients stored before clients got a scope by default (no `scope` in their metadata) must not
 * reach the admin API after an upgrade: oidc-provider lets a client without `scope` ask for every
 * scope, `admin` included. They get the default scopes; the bootstrap client gets its own.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { ClientRegistry, hashSecret } from './clients.js'
import type { ClientStore } from './clients.store.pg.js'
import { type AuthTestApp, authApp, discover } from './testing.js'

/** A client row as the code before scopes by default wrote it. */
function olderClient(clientId: string, secret: string): Record<string, unknown> {
  return {
    client_id: clientId,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: hashSecret(secret),
  }
}

describe.each(backends())('a client stored without scope (%s)', (backend) => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp(backend)
  }, 180_000)
  afterAll(() => t.close())

  it('may ask for the default scopes and not for admin', async () => {
    const secret = 'older-client-secret-0123456789'
    const db = t.app.systems.find((s) => s.definition.name === 'auth')!.context.db
    await db.query('INSERT INTO clients (client_id, metadata) VALUES ($1, $2)', [
      'older-client',
      JSON.stringify(olderClient('older-client', secret)),
    ])
    const config = await discover(t, 'older-client', secret)
    const read = await oidc.clientCredentialsGrant(config, { scope: 'api:read' })
    expect(read.scope).toBe('api:read')
    await expect(oidc.clientCredentialsGrant(config, { scope: 'admin' })).rejects.toMatchObject({
      error: 'invalid_scope',
    })
  })
})

describe('ClientRegistry.ensure', () => {
  function memoryStore(rows: Map<string, Record<string, unknown>>): ClientStore {
    return {
      get: async (id) => rows.get(id),
      insert: async (id, m) => (rows.has(id) ? false : (rows.set(id, m), true)),
      list: async () => [],
      page: async () => [],
      update: async (id, m) => (rows.has(id) ? (rows.set(id, m), true) : false),
      delete: async (id) => rows.delete(id),
    }
  }
  const validate = async () => {}
  const input = {
    clientId: 'boot',
    grantTypes: ['client_credentials' as const],
    secret: 'boot-secret-0123456789',
    scope: 'api:read admin',
  }

  it('gives an existing client stored without scope the scope it is ensured with', async () => {
    const rows = new Map([['boot', olderClient('boot', 'boot-secret-0123456789')]])
    const registry = new ClientRegistry(memoryStore(rows), 0, 'api:read api:write')
    expect(await registry.ensure(input, validate)).toBe(false)
    expect(rows.get('boot')!.scope).toBe('api:read admin')
  })

  it('leaves an existing client with a scope as it is, and reads a scope-less one with the default', async () => {
    const rows = new Map([
      ['boot', { ...olderClient('boot', 'x'.repeat(20)), scope: 'api:write' }],
      ['older', olderClient('older', 'y'.repeat(20))],
    ])
    const registry = new ClientRegistry(memoryStore(rows), 0, 'api:read api:write')
    expect(await registry.ensure(input, validate)).toBe(false)
    expect(rows.get('boot')!.scope).toBe('api:write')
    expect((await registry.metadata('older'))!.scope).toBe('api:read api:write')
    expect(rows.get('older')!.scope).toBeUndefined() // read with the default, not rewritten
  })
})
