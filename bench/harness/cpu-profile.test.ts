/** The profile reader on a hand-made profile: self and inclusive times, the boot/load window. */
import { describe, expect, it } from 'vitest'
import { type CpuProfile, fileOf, firstRequestSec, summarizeProfile } from './cpu-profile.js'

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 })

// root -> (idle)
//      -> boot (src/main.ts)
//      -> parserOnIncoming -> hook (src/platform/http/request-context.ts) -> startSpan (@opentelemetry)
//                                                                          -> hook again (recursion)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('boot', 'file:///repo/src/main.ts') },
    { id: 4, callFrame: frame('parserOnIncoming', 'node:_http_server'), children: [5] },
    {
      id: 5,
      callFrame: frame('hook', 'file:///repo/src/platform/http/request-context.ts'),
      children: [6, 7],
    },
    { id: 6, callFrame: frame('startSpan', 'file:///repo/node_modules/@opentelemetry/sdk-trace/build/x.js') },
    { id: 7, callFrame: frame('hook', 'file:///repo/src/platform/http/request-context.ts') },
  ],
  startTime: 0,
  endTime: 10_000_000,
  // boot for 2 s (two 1 s samples), then idle 1 s, then request work.
  samples: [3, 3, 2, 4, 5, 6, 6, 7],
  timeDeltas: [1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6],
}

describe('cpu profile summary', () => {
  it('groups code by package or repo path', () => {
    expect(fileOf('file:///repo/node_modules/@opentelemetry/api/build/x.js')).toBe('pkg:@opentelemetry/api')
    expect(fileOf('file:///repo/node_modules/pino/pino.js')).toBe('pkg:pino')
    expect(fileOf('file:///repo/src/platform/http/server.ts')).toBe('src/platform/http/server.ts')
    expect(fileOf('')).toBe('(native/VM)')
  })
  it('finds where the boot ends: the first sample under the HTTP parser', () => {
    expect(firstRequestSec(profile)).toBe(4)
  })
  it('reports self time without idle, and inclusive time of filtered files counting recursion once', () => {
    const s = summarizeProfile(profile, { filters: ['src/platform/http/'] })
    expect(s.totalMs).toBe(8000)
    expect(s.idleMs).toBe(1000)
    expect(Object.fromEntries(s.selfByFile.map((c) => [c.key, c.ms]))).toEqual({
      'pkg:@opentelemetry/sdk-trace': 2000,
      'src/main.ts': 2000,
      'src/platform/http/request-context.ts': 2000,
      'node:_http_server': 1000,
    })
    expect(s.selfByFile.at(-1)!.key).toBe('node:_http_server')
    const hook = s.inclusive[0]!
    expect(hook.key).toBe('hook src/platform/http/request-context.ts:1:1')
    // 1 s itself + 2 s startSpan + 1 s in its recursive call: 4 s, not 5.
    expect(hook.ms).toBe(4000)
    expect(hook.share).toBeCloseTo(4000 / 7000)
    expect(hook.callees[0]).toMatchObject({ key: 'startSpan pkg:@opentelemetry/sdk-trace:1:1', ms: 2000 })
  })
  it('keeps only the window asked for', () => {
    const s = summarizeProfile(profile, { window: { fromSec: 4 } })
    expect(s.totalMs).toBe(5000)
    expect(s.selfByFile.find((c) => c.key === 'src/main.ts')).toBeUndefined()
  })
})
