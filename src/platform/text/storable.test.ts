/** Which strings and keys PostgreSQL cannot store, and the path that names the first one. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findUnstorableText, isStorableText } from './storable.js'

/** One code unit PostgreSQL cannot store: U+0000 or a surrogate that will be left alone. */
const badUnit = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff')

/** Well-formed text of any plane (astral characters are surrogate pairs, which are fine). */
const goodText = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replaceAll('\u0000', ''))

/** Whether the string is storable, by definition: well-formed UTF-16 and no U+0000. */
function storableByDefinition(text: string): boolean {
  if (text.includes('\u0000')) return false
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return false
  }
  return true
}

describe('isStorableText', () => {
  it.each([
    ['', true],
    ['hello', true],
    ['😀', true],
    ['a\u0000b', false],
    ['\ud800', false],
    ['x\udc00', false],
    ['\udc00\ud800', false],
    ['\ud83d\ude00\ud83d', false],
    ['\uFFFD', true],
  ])('%j -> %s', (text, ok) => {
    expect(isStorableText(text)).toBe(ok)
  })

  it('agrees with the definition on arbitrary code units', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(isStorableText(text)).toBe(storableByDefinition(text))
      }),
      { numRuns: 2000 },
    )
  })
})

describe('findUnstorableText', () => {
  it('names the first bad string by its path', () => {
    expect(
      findUnstorableText({ items: [{ body: 'ok' }, { body: 'ok' }, { body: 'ok' }, { body: 'b\u0000' }] }),
    ).toBe('items[3].body')
    expect(findUnstorableText({ a: { b: ['x', '\ud800'] } })).toBe('a.b[1]')
    expect(findUnstorableText(['ok', 'bad\udfff'])).toBe('[1]')
    expect(findUnstorableText({ first: '\u0000', second: '\ud800' })).toBe('first')
  })

  it('names a bad key by the key itself, its bad characters escaped', () => {
    expect(findUnstorableText({ 'k\u0000': 1 })).toBe('k\\u0000')
    expect(findUnstorableText({ payload: { '\ud800x': 'fine' } })).toBe('payload.\\ud800x')
    expect(findUnstorableText({ payload: { 'bad\udc00': '\u0000' } })).toBe('payload.bad\\udc00')
    // Keys before values, in a flat record (the fast path) as in a nested one.
    expect(findUnstorableText({ a: '\u0000', 'b\u0000': 1 })).toBe('b\\u0000')
    expect(findUnstorableText({ n: { a: '\u0000', 'b\u0000': 1 } })).toBe('n.b\\u0000')
  })

  it('is the empty path for a bad string at the root', () => {
    expect(findUnstorableText('\u0000')).toBe('')
    expect(findUnstorableText('fine')).toBeUndefined()
  })

  it('accepts everything storable, and other value kinds', () => {
    expect(findUnstorableText(undefined)).toBeUndefined()
    expect(findUnstorableText(null)).toBeUndefined()
    expect(findUnstorableText(42)).toBeUndefined()
    expect(findUnstorableText({ a: [1, true, null, { '😀': '😀' }] })).toBeUndefined()
    // Not plain data: left alone (a Buffer's bytes are not text).
    expect(findUnstorableText({ d: new Date(0), b: Buffer.from([0]) })).toBeUndefined()
    // Null-prototype objects are walked.
    const query = Object.assign(Object.create(null), { q: 'x\u0000' })
    expect(findUnstorableText(query)).toBe('q')
    // fast-querystring's objects: a prototype that itself has a null prototype.
    const parsed = Object.assign(Object.create(Object.create(null)), { q: ['ok', '\ud800'] })
    expect(findUnstorableText(parsed)).toBe('q[1]')
    class Frame {
      constructor(readonly body: string) {}
    }
    expect(findUnstorableText({ frame: new Frame('\u0000') })).toBe('frame.body')
  })

  it('ends on cycles and survives deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 'ok' }
    cyclic.self = cyclic
    expect(findUnstorableText(cyclic)).toBeUndefined()
    let deep: unknown = '\ud800'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(findUnstorableText(deep)).toBe('[0]'.repeat(100_000))
  })

  it('finds nothing in JSON of well-formed text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(findUnstorableText(value)).toBeUndefined()
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.dictionary(goodText, fc.array(goodText)), (value) => {
        expect(findUnstorableText(value)).toBeUndefined()
      }),
      { numRuns: 500 },
    )
  })

  it('finds a bad code unit planted anywhere, at the path where it was planted', () => {
    /** A JSON-like tree whose leaves are well-formed strings, with the paths of those leaves. */
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        goodText,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie('node'), { maxKeys: 4 }),
      ),
    })).node
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), badUnit, (value, pick, at, bad) => {
        let root = value
        const leaves = stringLeaves(value, '', (s) => (root = s))
        fc.pre(leaves.length > 0)
        const leaf = leaves[pick % leaves.length] as { path: string; set: (s: string) => void; text: string }
        const cut = at % (leaf.text.length + 1)
        // Do not split a surrogate pair (that would make two bad units, not one planted one).
        fc.pre(!(cut > 0 && /[\uD800-\uDBFF]/.test(leaf.text[cut - 1] ?? '')))
        leaf.set(leaf.text.slice(0, cut) + bad + leaf.text.slice(cut))
        // Only the planted leaf is bad, so it is the first one found.
        expect(findUnstorableText(root)).toBe(leaf.path)
      }),
      { numRuns: 1000 },
    )
  })
})

/** Every string leaf of a tree, with its path and a setter that replaces it in place. */
function stringLeaves(
  value: unknown,
  path: string,
  set: (s: string) => void,
): Array<{ path: string; set: (s: string) => void; text: string }> {
  if (typeof value === 'string') return [{ path, set, text: value }]
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => stringLeaves(item, `${path}[${i}]`, (s) => (value[i] = s)))
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    return Object.keys(record).flatMap((key) =>
      stringLeaves(record[key], path === '' ? key : `${path}.${key}`, (s) => (record[key] = s)),
    )
  }
  return []
}
