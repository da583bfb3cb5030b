import { describe, expect, it } from 'vitest'
import type { BenchSuite, StartedServer } from '../types.js'
import { beforeName, currentCheckout, withBefore } from './ab.js'
import { parseBenchArgs } from './args.js'

const server = (url: string): StartedServer => ({ url, pid: -1, stop: async () => {} })

describe('A/B mode (--before)', () => {
  it('doubles each scenario system subject as a baseline started from the other checkout', async () => {
    const seen: (string | undefined)[] = []
    const sysStart = async () => {
      await Promise.resolve() // the checkout must survive an await inside the start
      seen.push(currentCheckout())
      return server(`http://sys/${seen.length}`)
    }
    const floorStart = async () => server('http://floor')
    const load = { kind: 'http' as const, path: '/x' }
    const suite: BenchSuite = {
      system: 's',
      scenarios: ['one', 'two'].map((name) => ({
        name,
        description: 'd',
        subjects: [
          { name: 'bp', role: 'system' as const, start: sysStart, load },
          { name: 'floor', role: 'baseline' as const, start: floorStart, load },
        ],
        goals: { floor: 0.8 },
      })),
    }
    const ab = withBefore(suite, '/elsewhere')
    for (const sc of ab.scenarios) {
      expect(sc.subjects.map((s) => [s.name, s.role])).toEqual([
        ['bp', 'system'],
        [beforeName('bp'), 'baseline'],
        ['floor', 'baseline'],
      ])
      expect(sc.subjects[2]!.start).toBe(floorStart)
    }
    // One server per checkout: the copies of a shared start are one function.
    expect(ab.scenarios[0]!.subjects[1]!.start).toBe(ab.scenarios[1]!.subjects[1]!.start)
    await ab.scenarios[0]!.subjects[0]!.start!()
    await ab.scenarios[0]!.subjects[1]!.start!()
    expect(seen).toEqual([undefined, '/elsewhere'])
    expect(currentCheckout()).toBeUndefined()
    // The suite given is left as it was.
    expect(suite.scenarios[0]!.subjects).toHaveLength(2)
  })

  it('parses --before', () => {
    expect(parseBenchArgs(['url-shortener', '--before', '../old'])?.before).toBe('../old')
    expect(parseBenchArgs(['url-shortener'])?.before).toBeUndefined()
  })
})
