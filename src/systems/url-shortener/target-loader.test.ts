/**
 * TargetLoader: the codes asked for in one event-loop turn are one read;
 * later turns are reads of their own; big batches split; a failed read fails
 * its batch only.
 */
import { describe, expect, it } from 'vitest'
import type { RedirectTarget } from './ports.js'
import { TargetLoader } from './target-loader.js'

const t = (id: number): RedirectTarget => ({
  id,
  longUrl: `https://example.com/${id}`,
  forwardQuery: false,
  validSince: null,
  validUntil: null,
  maxVisits: null,
  rules: null,
  version: 1,
})

/** A reader that knows codes `k<n>` (target id n) and records each call's codes. */
function reader(fail?: (codes: readonly string[]) => boolean) {
  const calls: string[][] = []
  const read = async (codes: readonly string[]) => {
    calls.push([...codes])
    if (fail?.(codes)) throw new Error('connection lost')
    return new Map(codes.filter((c) => c.startsWith('k')).map((c) => [c, t(Number(c.slice(1)))]))
  }
  return { read, calls }
}

describe('TargetLoader', () => {
  it('reads every code of one turn in one call, and answers each caller', async () => {
    const { read, calls } = reader()
    const loader = new TargetLoader(read)
    const codes = ['k1', 'u2', 'k3', 'k1', 'u5']
    const out = await Promise.all(codes.map((c) => loader.load(c)))
    expect(calls).toEqual([['k1', 'u2', 'k3', 'u5']]) // a code asked twice is read once
    expect(out.map((o) => o?.id)).toEqual([1, undefined, 3, 1, undefined])
  })

  it('reads a later turn separately', async () => {
    const { read, calls } = reader()
    const loader = new TargetLoader(read)
    expect((await loader.load('k1'))?.id).toBe(1)
    expect((await loader.load('k2'))?.id).toBe(2)
    expect(calls).toEqual([['k1'], ['k2']])
  })

  it('splits a batch over maxBatch codes', async () => {
    const { read, calls } = reader()
    const loader = new TargetLoader(read, 4)
    const codes = Array.from({ length: 10 }, (_, i) => `k${i}`)
    const out = await Promise.all(codes.map((c) => loader.load(c)))
    expect(calls.map((c) => c.length)).toEqual([4, 4, 2])
    expect(out.map((o) => o?.id)).toEqual(codes.map((_, i) => i))
  })

  it('fails every code of a failed read, and only those', async () => {
    const { read } = reader((codes) => codes.includes('k0'))
    const loader = new TargetLoader(read, 2)
    const out = await Promise.allSettled(['k0', 'k1', 'k2', 'k3'].map((c) => loader.load(c)))
    expect(out.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled'])
    // The loader is usable after a failure.
    expect((await loader.load('k9'))?.id).toBe(9)
  })
})
