/** An attempt's stored error and stack carry no absolute path of the machine. */
import { describe, expect, it } from 'vitest'
import { describeError, PROJECT_ROOTS, withoutMachinePaths } from './error-report.js'

const ROOTS = ['/srv/app/']

describe('withoutMachinePaths', () => {
  it.each([
    ['    at run (/srv/app/src/systems/jobs/tasks.ts:50:11)', '    at run (src/systems/jobs/tasks.ts:50:11)'],
    ['    at file:///srv/app/src/worker.ts:3:9', '    at src/worker.ts:3:9'],
    [
      '    at Object.<anonymous> (/srv/app/node_modules/pg/lib/client.js:526:17)',
      '    at Object.<anonymous> (node_modules/pg/lib/client.js:526:17)',
    ],
    ['    at x (/home/alice/other/lib/util.js:1:2)', '    at x (util.js:1:2)'],
    ['    at file:///opt/node/lib/mod.mjs:9:1', '    at mod.mjs:9:1'],
    ['    at y (C:\\Users\\bob\\app\\index.js:4:2)', '    at y (index.js:4:2)'],
    ['    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)', undefined],
    [
      "Error: ENOENT: no such file or directory, open '/home/alice/secret.txt'",
      "Error: ENOENT: no such file or directory, open 'secret.txt'",
    ],
    ['Error: fetch https://example.com/a/b/c failed', undefined],
    ['Error: /srv/application/x.js is not /srv/app', 'Error: x.js is not app'],
  ])('%s', (line, expected) => {
    expect(withoutMachinePaths(line, ROOTS)).toBe(expected ?? line)
  })
})

describe('describeError', () => {
  it("keeps a thrown error's name, message and frames, relative to the project root", () => {
    const { error, stack } = describeError(new RangeError('too far'))
    expect(error).toBe('RangeError: too far')
    expect(stack).toMatch(/^RangeError: too far\n/)
    expect(stack).toMatch(/[( ]src\/platform\/jobs\/error-report\.test\.ts:\d+:\d+/)
    expect(stack).not.toMatch(/(^|[\s(])(file:\/\/)?\//m)
    for (const root of PROJECT_ROOTS) expect(stack).not.toContain(root)
  })

  it('describes a thrown non-error, and bounds the lengths', () => {
    expect(describeError('plain')).toEqual({ error: 'plain', stack: null })
    const big = new Error('x'.repeat(50_000))
    const d = describeError(big)
    expect(d.error.length).toBe(10_000)
    expect(d.stack!.length).toBe(20_000)
  })
})
