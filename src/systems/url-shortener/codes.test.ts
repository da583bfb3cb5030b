/** Short code generation (a keyed bijection, so no collisions) and slug rules. */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodeCodec, checkSlug, codeFromPath, fromBase62, isPlausibleCode, toBase62 } from './codes.js'

const codec = new CodeCodec(randomBytes(32))

describe('CodeCodec', () => {
  it('is a bijection: decode(encode(id)) = id, for every length', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 62n ** 6n - 1n }), fc.integer({ min: 4, max: 16 }), (id, len) => {
        const code = codec.encode(id, len)
        expect(code.length).toBeGreaterThanOrEqual(len)
        expect(codec.decode(code)).toBe(id)
      }),
      { numRuns: 2000 },
    )
  })

  it('gives distinct codes to 200,000 consecutive ids, that do not look consecutive', () => {
    const seen = new Set<string>()
    for (let id = 1000; id < 201_000; id++) seen.add(codec.encode(id, 5))
    expect(seen.size).toBe(200_000)
    const [a, b] = [codec.encode(5000, 5), codec.encode(5001, 5)]
    expect(fromBase62(a) - fromBase62(b)).not.toBe(-1n)
  })

  it('grows the code when the id does not fit the requested length', () => {
    expect(codec.encode(62n ** 4n, 4)).toHaveLength(5)
    expect(codec.encode(62n ** 4n - 1n, 4)).toHaveLength(4)
  })

  it('depends on the key', () => {
    const other = new CodeCodec(randomBytes(32))
    const same = Array.from(
      { length: 100 },
      (_, i) => codec.encode(i + 1000, 6) === other.encode(i + 1000, 6),
    )
    expect(same.filter(Boolean).length).toBeLessThan(3)
  })

  it('base62 round-trips', () => {
    expect(toBase62(0n, 3)).toBe('000')
    expect(toBase62(61n, 1)).toBe('z')
    expect(fromBase62('10')).toBe(62n)
  })
})

describe('checkSlug', () => {
  it.each([
    ['my slug', 'my-slug'],
    ['a/b', 'a-b'],
    ['Promo_2024.v1~x', 'Promo_2024.v1~x'],
    // Unicode slugs, as Shlink creates them (its API test: 🦣🦣🦣); NFC, so both spellings of é are one slug
    ['🦣🦣🦣', '🦣🦣🦣'],
    ['caf\u00e9', 'caf\u00e9'],
    ['cafe\u0301', 'caf\u00e9'],
    ['日本語 リンク', '日本語-リンク'],
    ['👩\u200d💻', '👩\u200d💻'],
    ["l'été!", "l'été!"],
    ['x'.repeat(100), 'x'.repeat(100)],
    ['🦣'.repeat(100), '🦣'.repeat(100)],
  ])('accepts %j as %j', (raw, slug) => {
    expect(checkSlug(raw)).toEqual({ ok: true, slug })
  })

  it.each([
    '',
    '   ',
    '.',
    '..',
    'a?b',
    'a#b',
    'a%20b',
    'a:b',
    'a@b',
    'a[b]',
    'a\\b',
    'a<b>',
    'a"b',
    'a{b}',
    'a|b',
    'a^b',
    'a`b',
    'a\u0000b',
    'a\u202eb',
    'a\ud800b',
    'x'.repeat(101),
    '🦣'.repeat(101),
    'rest',
    'Docs',
    'METRICS',
    'healthz',
    'openapi.json',
    'chat',
  ])('refuses %j', (raw) => {
    expect(checkSlug(raw).ok).toBe(false)
  })

  it('plausible codes are what slugs may be', () => {
    expect(isPlausibleCode('abc-DEF_1.~')).toBe(true)
    expect(isPlausibleCode('<script>')).toBe(false)
    expect(isPlausibleCode('🦣🦣🦣')).toBe(true)
    expect(isPlausibleCode('a%41')).toBe(false)
  })

  it('reads a path segment as the slug it names, however it was sent', () => {
    // The router percent-decodes UTF-8 (a browser's /%F0%9F%A6%A3); raw UTF-8 bytes arrive as Latin-1.
    expect(codeFromPath('🦣')).toBe('🦣')
    expect(codeFromPath(Buffer.from('🦣', 'utf8').toString('latin1'))).toBe('🦣')
    expect(codeFromPath('cafe\u0301')).toBe('caf\u00e9')
    expect(codeFromPath('abc12')).toBe('abc12')
    // A Latin-1 text that is not UTF-8 stays as it is.
    expect(codeFromPath('caf\u00e9')).toBe('caf\u00e9')
  })
})
