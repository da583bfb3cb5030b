/** Which long URLs may be shortened. */
import { describe, expect, it } from 'vitest'
import { checkLongUrl, isPrivateHost } from './url-policy.js'

const policy = { ownHosts: () => ['s.test', 'go.example:8080'], allowPrivateTargets: false }

describe('checkLongUrl', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['  http://EXAMPLE.com/Path?q=1#f ', 'http://example.com/Path?q=1#f'],
    ['https://bücher.example/ü', 'https://xn--bcher-kva.example/%C3%BC'],
  ])('accepts and normalizes %j', (raw, url) => {
    expect(checkLongUrl(raw, policy)).toEqual({ ok: true, url })
  })

  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'data:text/html,hi',
    'file:///etc/passwd',
    'mailto:a@b.c',
    'ws://example.com',
    '//example.com',
    'example.com',
    `https://example.com/${'x'.repeat(2048)}`,
    'https://s.test/abc',
    'https://S.TEST./abc',
    'http://go.example:8080/x',
    'http://go.example/x',
    'http://127.0.0.1',
    'http://0x7f.1/',
    'http://0/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://172.20.0.1/',
    'http://100.64.0.1/',
    'http://intranet/',
    'http://printer.local/',
    'http://db.internal/',
    'http://localhost.',
  ])('refuses %j', (raw) => {
    expect(checkLongUrl(raw, policy).ok).toBe(false)
  })

  it('allows private targets when configured', () => {
    expect(checkLongUrl('http://10.0.0.1/x', { ...policy, allowPrivateTargets: true }).ok).toBe(true)
    expect(checkLongUrl('https://s.test/x', { ...policy, allowPrivateTargets: true }).ok).toBe(false)
  })
})

describe('isPrivateHost', () => {
  it.each([
    ['8.8.8.8', false],
    ['example.com', false],
    ['[2001:4860::8888]', false],
    ['192.168.0.10', true],
    ['[::1]', true],
  ])('%s -> %s', (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected)
  })
})
