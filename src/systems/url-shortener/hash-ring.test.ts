/** The sharding story: even spread over N shards, and ~1/(N+1) of the codes move when one is added. */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CodeCodec } from './codes.js'
import { fnv1a, HashRing } from './hash-ring.js'

const codec = new CodeCodec(randomBytes(32))
// Real short codes, as the generator makes them, plus some custom slugs.
const codes = [
  ...Array.from({ length: 95_000 }, (_, i) => codec.encode(1000 + i, 5)),
  ...Array.from({ length: 5_000 }, (_, i) => `promo-${i}`),
]

function spread(ring: HashRing): Map<string, number> {
  const counts = new Map<string, number>()
  for (const c of codes) {
    const s = ring.shardOf(c)
    counts.set(s, (counts.get(s) ?? 0) + 1)
  }
  return counts
}

describe('HashRing', () => {
  it.each([2, 4, 8])('spreads codes evenly over %i shards (each within 15%% of the mean)', (n) => {
    const ring = new HashRing(Array.from({ length: n }, (_, i) => `shard-${i}`))
    const counts = spread(ring)
    expect(counts.size).toBe(n)
    const mean = codes.length / n
    for (const count of counts.values()) expect(Math.abs(count - mean) / mean).toBeLessThan(0.15)
  })

  it.each([3, 4, 8])('adding a shard to %i moves about 1/(N+1) of the codes, all to the new shard', (n) => {
    const shards = Array.from({ length: n }, (_, i) => `shard-${i}`)
    const ring = new HashRing(shards)
    const before = codes.map((c) => ring.shardOf(c))
    ring.add(`shard-${n}`)
    let moved = 0
    for (const [i, c] of codes.entries()) {
      const now = ring.shardOf(c)
      if (now !== before[i]) {
        moved++
        expect(now).toBe(`shard-${n}`)
      }
    }
    const expected = 1 / (n + 1)
    expect(Math.abs(moved / codes.length - expected)).toBeLessThan(expected * 0.25)
  })

  it('modulo placement, for contrast, moves most codes', () => {
    const moved = codes.filter((c) => fnv1a(c) % 4 !== fnv1a(c) % 5).length
    expect(moved / codes.length).toBeGreaterThan(0.5)
  })

  it('removing a shard moves only its own codes', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd'])
    const before = codes.slice(0, 20_000).map((c) => ring.shardOf(c))
    ring.remove('c')
    for (const [i, c] of codes.slice(0, 20_000).entries())
      if (before[i] !== 'c') expect(ring.shardOf(c)).toBe(before[i])
  })

  it('is stable across instances (every process routes a code the same way)', () => {
    const a = new HashRing(['x', 'y', 'z'])
    const b = new HashRing(['z', 'x', 'y'])
    for (const c of codes.slice(0, 1000)) expect(a.shardOf(c)).toBe(b.shardOf(c))
  })
})
