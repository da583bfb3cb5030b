/**
 * Serving the console's build: `/` and `/console/*` answer its page, hashed
 * assets are cached for good, nothing outside the build can be reached, and
 * without a build `/` says how to make one.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indexPage } from './index-page.js'
import { installNotFound } from './not-found.js'
import type { TypedApp } from './types.js'

const systems = [{ name: 'url-shortener', description: 'Short <links>', prefix: '' }]
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-AbCd1234.js"></script></head></html>'
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))})`

async function serve(distDir: string) {
  const app = Fastify()
  // The platform's 404 (problem+json) for paths no route matches, as in a real process.
  installNotFound(app)
  await app.register(indexPage(systems, { distDir }) as unknown as Parameters<typeof app.register>[0])
  await app.ready()
  return app as unknown as TypedApp
}

describe('console build present', () => {
  let app: TypedApp
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bp-dist-'))
    mkdirSync(path.join(dir, 'assets'))
    writeFileSync(path.join(dir, 'index.html'), INDEX)
    writeFileSync(path.join(dir, 'assets', 'index-AbCd1234.js'), SCRIPT)
    writeFileSync(path.join(dir, 'assets', 'notes.weird'), 'unknown type')
    writeFileSync(path.join(dir, '.build-stamp'), 'abc')
    writeFileSync(path.join(dir, 'assets', '.hidden.js'), 'HIDDEN-CONTENT')
    // A file beside the build that a traversal would aim for.
    writeFileSync(path.join(dir, '..', 'outside.js'), 'OUTSIDE-CONTENT')
    app = await serve(dir)
  })
  afterAll(() => app.close())

  it('answers / and every /console/* route with the page, revalidated, under a CSP', async () => {
    for (const url of ['/', '/console', '/console/url-shortener', '/console/a/b?x=1']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toContain("script-src 'self'")
      expect(res.body).toBe(INDEX)
    }
  })

  it('serves hashed assets with their type, a one-year cache, an ETag and gzip when accepted', async () => {
    const plain = await app.inject({ url: '/assets/index-AbCd1234.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['x-content-type-options']).toBe('nosniff')
    expect(plain.body).toBe(SCRIPT)
    const zipped = await app.inject({
      url: '/assets/index-AbCd1234.js',
      headers: { 'accept-encoding': 'br, gzip' },
    })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.rawPayload.length).toBeLessThan(SCRIPT.length / 4)
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(SCRIPT)
    const again = await app.inject({
      url: '/assets/index-AbCd1234.js',
      headers: { 'if-none-match': String(plain.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('answers 404 problem+json for anything that is not a file of the build', async () => {
    for (const url of [
      '/assets/missing-AbCd1234.js',
      '/assets/.hidden.js',
      '/assets/notes.weird',
      '/assets/%2e%2e/.build-stamp',
      '/assets/..%2f..%2foutside.js',
      '/assets/../../outside.js',
      '/assets/%2e%2e/%2e%2e/outside.js',
      '/assets/',
    ]) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['content-type'], url).toContain('application/problem+json')
      expect(res.body).not.toContain('OUTSIDE-CONTENT')
      expect(res.body).not.toContain('HIDDEN-CONTENT')
    }
  })
})

describe('console build missing', () => {
  it('still serves / with the running systems and how to build the console', async () => {
    const app = await serve(path.join(tmpdir(), 'bp-no-such-dist'))
    for (const url of ['/', '/console/url-shortener']) {
      const res = await app.inject({ url })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('npm run build:web')
      expect(res.body).toContain('Short &lt;links&gt;')
    }
    expect((await app.inject({ url: '/assets/index-AbCd1234.js' })).statusCode).toBe(404)
    await app.close()
  })
})
