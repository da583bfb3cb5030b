/** Short code generation (a keyed bijection, so no collisions) and slug rules. */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodeCodec, checkSlug, fromBase62, isPlausibleCode, toBase62 } from './codes.js'

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
    'caf\u00e9',
    'x'.repeat(101),
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
  })
})
