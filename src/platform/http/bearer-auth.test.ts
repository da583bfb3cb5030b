/** The optional bearer token: the header check, the guard, and the OpenAPI scheme. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../app.js'
import { defineSystem } from '../system.js'
import { buildTestApp } from '../testing/app.js'
import { bearerMatches, bearerSchemeName, requireBearerToken } from './bearer-auth.js'

/** Two systems with one route each: `guarded` requires the token, `open` does not. */
const system = (name: string, token: string | undefined) =>
  defineSystem({
    name,
    description: `${name} routes`,
    async create() {
      return {
        routes(app) {
          requireBearerToken(app, {
            token,
            code: 'GUARDED_UNAUTHORIZED',
            realm: name,
            message: 'token please',
          })
          app.get('/thing', { schema: { summary: 'a thing' } }, async () => ({ ok: true }))
        },
      }
    },
  })

describe('bearerMatches', () => {
  it.each([
    ['Bearer s3cret', true],
    ['bearer s3cret', true],
    ['BEARER   s3cret ', true],
    ['Bearer s3cre', false],
    ['Bearer s3cret2', false],
    ['Bearer S3CRET', false],
    ['Basic s3cret', false],
    ['s3cret', false],
    ['Bearer', false],
    ['Bearer ', false],
    ['', false],
  ])('%j -> %s', (header, expected) => {
    expect(bearerMatches(header, 's3cret')).toBe(expected)
  })

  it('refuses a missing header', () => {
    expect(bearerMatches(undefined, 's3cret')).toBe(false)
  })
})

describe('bearerSchemeName', () => {
  it('names the OpenAPI scheme after the realm', () => {
    expect(bearerSchemeName('jobs')).toBe('jobsBearer')
    expect(bearerSchemeName('rate-limiter')).toBe('rateLimiterBearer')
  })
})

describe('requireBearerToken', () => {
  let app: App
  beforeAll(async () => {
    app = await buildTestApp('embedded', {
      systems: [system('guarded', 's3cret'), system('open', undefined)],
    })
  })
  afterAll(() => app.close())

  it('answers 401 problem+json with a challenge without the token, and the route with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'Basic czNjcmV0']) {
      const res = await app.http.inject({
        method: 'GET',
        url: '/guarded/thing',
        headers: authorization ? { authorization } : {},
      })
      expect(res.statusCode).toBe(401)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="guarded"')
      expect(res.json()).toMatchObject({ status: 401, code: 'GUARDED_UNAUTHORIZED', detail: 'token please' })
    }
    const ok = await app.http.inject({
      method: 'GET',
      url: '/guarded/thing',
      headers: { authorization: 'Bearer s3cret' },
    })
    expect(ok.statusCode).toBe(200)
  })

  it('leaves the routes of a scope without a token, and other scopes, open', async () => {
    expect((await app.http.inject({ method: 'GET', url: '/open/thing' })).statusCode).toBe(200)
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('declares the bearer scheme in OpenAPI and names it on the guarded operations only', async () => {
    const doc = (await app.http.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.components.securitySchemes).toEqual({
      guardedBearer: { type: 'http', scheme: 'bearer', description: 'token please' },
    })
    expect(doc.paths['/guarded/thing'].get.security).toEqual([{ guardedBearer: [] }])
    // Public: an explicit empty requirement, so a reader (and a linter) sees it was meant.
    expect(doc.paths['/open/thing'].get.security).toEqual([])
  })
})
