import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLogger } from './lazy-logger.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)))
      cb()
    },
  })
  return { logger: pino({ level }, stream), lines }
}

describe('lazyChildLogger', () => {
  it('writes enabled levels with the child bindings', async () => {
    const { logger, lines } = capture('info')
    const child = lazyChildLogger(logger, { requestId: 'r1' }, {})
    child.info({ a: 1 }, 'hello')
    child.debug('hidden')
    child.error(new Error('bad'), 'failed')
    await new Promise((r) => setImmediate(r))
    expect(lines.map((l) => [l.msg, l.requestId])).toEqual([
      ['hello', 'r1'],
      ['failed', 'r1'],
    ])
    expect(lines[0]!.a).toBe(1)
    expect(child.level).toBe('info')
  })

  it('never builds the child when nothing is written', () => {
    const { logger } = capture('warn')
    let built = 0
    const counting = Object.assign(Object.create(logger), {
      child: (...a: Parameters<typeof logger.child>) => {
        built++
        return logger.child(...a)
      },
    })
    const child = lazyChildLogger(counting, { requestId: 'r2' }, {})
    child.info('not written')
    child.debug('not written')
    expect(built).toBe(0)
    child.warn('written')
    expect(built).toBe(1)
  })
})
