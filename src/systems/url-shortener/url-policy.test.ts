/** Which long URLs may be shortened. */
import { describe, expect, it } from 'vitest'
import { checkLongUrl, isPrivateHost } from './url-policy.js'

const policy = { ownHosts: () => ['s.test', 'go.example:8080'], allowPrivateTargets: false }

describe('checkLongUrl', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['  http://EXAMPLE.com/Path?q=1#f ', 'http://example.com/Path?q=1#f'],
    ['https://bücher.example/ü', 'https://xn--bcher-kva.example/%C3%BC'],
    // Deep links, as Shlink 4 accepts them (its API tests: mailto, shlink://some/path)
    ['mailto:foo@example.com', 'mailto:foo@example.com'],
    ['tel:+1-555-0100', 'tel:+1-555-0100'],
    ['sms:+15550100?body=hi', 'sms:+15550100?body=hi'],
    ['shlink://some/path', 'shlink://some/path'],
    ['myapp://open/item?id=1', 'myapp://open/item?id=1'],
    ['fb://profile/33138223345', 'fb://profile/33138223345'],
    ['android://foo/bar', 'android://foo/bar'],
    ['myapp://localhost/x', 'myapp://localhost/x'],
    ['com.example.app:/oauth2redirect', 'com.example.app:/oauth2redirect'],
    ['ws://example.com', 'ws://example.com/'],
  ])('accepts and normalizes %j', (raw, url) => {
    expect(checkLongUrl(raw, policy)).toEqual({ ok: true, url })
  })

  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'data:text/html,hi',
    'file:///etc/passwd',
    'FILE:///C:/Windows',
    'vbscript:msgbox(1)',
    'blob:https://example.com/0e5c',
    'about:blank',
    'mailto:',
    'example.com:8080/x',
    'localhost:3000',
    'ws://127.0.0.1/',
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
