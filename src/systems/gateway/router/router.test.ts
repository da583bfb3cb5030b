/** Kong's route matching and ordering, on configurations built through the declarative normalizer. */
import { describe, expect, it } from 'vitest'
import { normalizeConfig } from '../config/normalize.js'
import { validatePluginConfig } from '../plugins/registry.js'
import { type RequestFacts, Router, upstreamPath } from './router.js'

function router(routes: object[], services: object[] = [{ name: 's', url: 'http://up.local/api' }]) {
  const cfg = normalizeConfig({ _format_version: '3.0', services, routes }, validatePluginConfig)
  return { r: new Router(cfg), cfg }
}

const req = (over: Partial<RequestFacts>): RequestFacts => ({
  method: 'GET',
  host: 'example.com',
  port: 80,
  path: '/',
  headers: {},
  ...over,
})

const nameOf = (r: Router, f: Partial<RequestFacts>) => r.match(req(f))?.route.name

describe('route matching', () => {
  it('prefers the longest prefix, whatever the order routes were written in', () => {
    const { r } = router([
      { name: 'root', paths: ['/'], service: 's' },
      { name: 'v1', paths: ['/v1'], service: 's' },
      { name: 'v1-users', paths: ['/v1/users'], service: 's' },
    ])
    expect(nameOf(r, { path: '/v1/users/7' })).toBe('v1-users')
    expect(nameOf(r, { path: '/v1/orders' })).toBe('v1')
    expect(nameOf(r, { path: '/v2' })).toBe('root')
  })

  it('tries regex paths before prefix paths, by regex_priority, anchored at the start', () => {
    const { r } = router([
      { name: 'prefix', paths: ['/users/'], service: 's' },
      { name: 're-low', paths: ['~/users/\\d+$'], regex_priority: 1, service: 's' },
      { name: 're-high', paths: ['~/users/(?<id>\\d+)'], regex_priority: 5, service: 's' },
    ])
    expect(nameOf(r, { path: '/users/42' })).toBe('re-high')
    expect(r.match(req({ path: '/users/42/x' }))?.captures).toMatchObject({ id: '42' })
    expect(nameOf(r, { path: '/users/me' })).toBe('prefix')
    // Anchored: the regex does not match in the middle of the path.
    expect(nameOf(r, { path: '/x/users/42' })).toBeUndefined()
  })

  it('ranks routes with more kinds of condition first, then plain hosts before wildcards', () => {
    const { r } = router([
      { name: 'path-only', paths: ['/'], service: 's' },
      { name: 'wild', hosts: ['*.example.com'], paths: ['/'], service: 's' },
      { name: 'plain', hosts: ['api.example.com'], paths: ['/'], service: 's' },
      { name: 'plain-get', hosts: ['api.example.com'], methods: ['GET'], paths: ['/'], service: 's' },
    ])
    expect(nameOf(r, { host: 'api.example.com' })).toBe('plain-get')
    expect(nameOf(r, { host: 'api.example.com', method: 'POST' })).toBe('plain')
    expect(nameOf(r, { host: 'www.example.com' })).toBe('wild')
    expect(nameOf(r, { host: 'example.com' })).toBe('path-only')
  })

  it('matches leading and trailing host wildcards and hosts with ports', () => {
    const { r } = router([
      { name: 'lead', hosts: ['*.example.com'], service: 's' },
      { name: 'trail', hosts: ['example.*'], service: 's' },
      { name: 'port', hosts: ['internal.local:8080'], service: 's' },
    ])
    expect(nameOf(r, { host: 'a.b.example.com' })).toBe('lead')
    expect(nameOf(r, { host: 'example.org' })).toBe('trail')
    expect(nameOf(r, { host: 'internal.local', port: 8080 })).toBe('port')
    expect(nameOf(r, { host: 'internal.local', port: 80 })).toBeUndefined()
    expect(nameOf(r, { host: 'notexample.com' })).toBeUndefined()
  })

  it('matches header values case-insensitively, and ~* as a regex; more headers rank first', () => {
    const { r } = router([
      { name: 'one', headers: { 'x-version': ['v1', 'v2'] }, paths: ['/'], service: 's' },
      {
        name: 'two',
        headers: { 'x-version': ['v2'], 'x-beta': ['~*^(yes|true)$'] },
        paths: ['/'],
        service: 's',
      },
    ])
    expect(nameOf(r, { headers: { 'x-version': 'V1' } })).toBe('one')
    expect(nameOf(r, { headers: { 'x-version': 'v2', 'x-beta': 'TRUE' } })).toBe('two')
    expect(nameOf(r, { headers: { 'x-version': 'v2', 'x-beta': 'no' } })).toBe('one')
    expect(nameOf(r, { headers: { 'x-version': 'v3' } })).toBeUndefined()
  })

  it('breaks ties by creation time, then id, never by load order', () => {
    const a = router([
      { name: 'older', paths: ['/same'], created_at: 1, service: 's' },
      { name: 'newer', paths: ['/same'], created_at: 2, service: 's' },
    ])
    const b = router([
      { name: 'newer', paths: ['/same'], created_at: 2, service: 's' },
      { name: 'older', paths: ['/same'], created_at: 1, service: 's' },
    ])
    expect(nameOf(a.r, { path: '/same' })).toBe('older')
    expect(nameOf(b.r, { path: '/same' })).toBe('older')
  })
})

describe('upstream path (path_handling v0, the default)', () => {
  const { cfg } = router([
    { name: 'strip', paths: ['/mock'], service: 's' },
    { name: 'keep', paths: ['/keep'], strip_path: false, service: 's' },
  ])
  const s = cfg.services[0]!
  const strip = cfg.routes.find((r) => r.name === 'strip')!
  const keep = cfg.routes.find((r) => r.name === 'keep')!
  it('joins the service path and the rest of the request path', () => {
    expect(upstreamPath(strip, s, '/mock/anything', '/mock')).toBe('/api/anything')
    expect(upstreamPath(strip, s, '/mock', '/mock')).toBe('/api')
    expect(upstreamPath(keep, s, '/keep/x', '/keep')).toBe('/api/keep/x')
    expect(upstreamPath(strip, { ...s, path: null }, '/mock/a', '/mock')).toBe('/a')
    expect(upstreamPath(strip, { ...s, path: '/api/' }, '/mock/a', '/mock')).toBe('/api/a')
  })
})
