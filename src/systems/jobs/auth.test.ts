/**
 * JOBS_API_TOKEN: when set, every route under /jobs (each one the OpenAPI
 * document lists) answers 401 problem+json without `Authorization: Bearer
 * <token>` or with a wrong one, and serves the request with it; the document
 * declares the bearer scheme on every jobs operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type JobsClient, type Json, jobsApp } from './testing.js'

const TOKEN = 'jobs-token-1234'
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
/** No Authorization header, a wrong token, the token without the scheme. */
const WRONG: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }]

describe.each(backends())('jobs API token (%s)', (backend) => {
  let c: JobsClient
  let doc: Json
  beforeAll(async () => {
    c = await jobsApp(backend, { JOBS_API_TOKEN: TOKEN })
    doc = (await c.call('GET', '/openapi.json')).json()
  })
  afterAll(() => c.close())

  /** Every jobs operation in the document, with its path parameters filled in. */
  const operations = () => {
    const out: { method: string; url: string; security: unknown }[] = []
    for (const [path, item] of Object.entries<Json>(doc.paths))
      for (const method of METHODS)
        if (path.startsWith('/jobs/') && item[method])
          out.push({
            method: method.toUpperCase(),
            url: path.replace(/\{[^}]+\}/g, 'x1'),
            security: item[method].security,
          })
    return out
  }

  it('refuses every /jobs route without the token or with a wrong one', async () => {
    const ops = operations()
    expect(ops.length).toBeGreaterThanOrEqual(15)
    for (const op of ops)
      for (const headers of WRONG) {
        const res = await c.call(op.method, op.url, op.method === 'GET' ? undefined : {}, headers)
        expect([op.method, op.url, res.statusCode]).toEqual([op.method, op.url, 401])
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.headers['www-authenticate']).toBe('Bearer realm="jobs"')
        expect(res.json().code).toBe('JOBS_UNAUTHORIZED')
      }
  })

  it('serves every /jobs route with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    for (const op of operations()) {
      const res = await c.call(op.method, op.url, op.method === 'GET' ? undefined : {}, auth)
      expect([op.method, op.url, res.statusCode === 401]).toEqual([op.method, op.url, false])
    }
    const added = await c.call('POST', '/jobs/queues/default/jobs', { task: 'noop' }, auth)
    expect(added.statusCode).toBe(201)
    const job = await c.call('GET', `/jobs/jobs/${added.json().id}`, undefined, auth)
    expect(job.json().task).toBe('noop')
  })

  it('declares the bearer scheme on every jobs operation', () => {
    expect(doc.components.securitySchemes.jobsBearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    for (const op of operations()) expect(op.security).toEqual([{ jobsBearer: [] }])
  })
})
