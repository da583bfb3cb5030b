/**
 * One process per embedded data folder, with real processes: a second server
 * on the same DATA_DIR is refused with one line naming the holder; a lock
 * left by a holder killed with SIGKILL is taken over; a CLI command typed
 * beside a running server runs inside it (and `migrate` is refused with the
 * line). In-process: of many acquirers racing, exactly one wins.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runToExit, type ServerProcess, startServer } from '../testing/process.js'
import { acquireDataDirLock, DataDirBusyError, type DataDirLock } from './lock.js'

const FIXTURE = 'src/platform/testing/fixture-main.ts'
const freshDir = () => mkdtempSync(path.join(tmpdir(), 'bp-lock-'))

const servers: ServerProcess[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.kill('SIGKILL')
    await s.exited
  }
})

const oneLine = (text: string) => text.trimEnd().split('\n')

describe('the DATA_DIR lock (real processes)', { timeout: 180_000 }, () => {
  it('refuses a second server on the same folder with one line naming the holder, exit 2', async () => {
    const dataDir = freshDir()
    const first = await startServer({ env: { DATA_DIR: dataDir } })
    servers.push(first)
    const second = await runToExit(FIXTURE, { DATA_DIR: dataDir, PORT: '0' })
    expect(second.code).toBe(2)
    const lines = oneLine(second.stderr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`DATA_DIR ${dataDir} is in use by pid ${first.child.pid} (`)
    expect(lines[0]).toContain(`serving ${first.url}`)
    expect(lines[0]).toContain('fixture-main.ts')
    // The holder is untouched.
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200)
  })

  it('takes over the lock of a holder killed with SIGKILL', async () => {
    const dataDir = freshDir()
    const first = await startServer({ env: { DATA_DIR: dataDir } })
    first.kill('SIGKILL')
    await first.exited
    // The socket file is left behind; nobody listens on it.
    expect(existsSync(path.join(dataDir, 'blueprints.sock'))).toBe(true)
    const second = await startServer({ env: { DATA_DIR: dataDir } })
    servers.push(second)
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
    // And the new holder holds it: a third process is refused, naming the second.
    const third = await runToExit(FIXTURE, { DATA_DIR: dataDir, PORT: '0' })
    expect(third.code).toBe(2)
    expect(third.stderr).toContain(`pid ${second.child.pid} (`)
  })

  it('runs a CLI command beside a running server inside it, and refuses migrate with the line', async () => {
    const dataDir = freshDir()
    const env = { DATA_DIR: dataDir, SYSTEMS: 'url-shortener' }
    const server = await startServer({ entry: 'src/main.ts', env, timeoutMs: 120_000 })
    servers.push(server)
    const created = await runToExit('src/cli.ts', env, [
      'url-shortener',
      'api-key',
      'create',
      '--name',
      'beside',
    ])
    expect(created.code).toBe(0)
    expect(created.stderr).toContain(`running in pid ${server.child.pid}`)
    const key = created.stdout.trim().split('\n').at(-1)!
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    // The running server knows the key at once: it was created through it.
    const res = await fetch(`${server.url}/rest/v3/short-urls`, { headers: { 'X-Api-Key': key } })
    expect(res.status).toBe(200)
    const listed = await runToExit('src/cli.ts', env, ['url-shortener', 'api-key', 'list'])
    expect(listed.stdout).toContain('beside\tenabled')

    const migrate = await runToExit('src/cli.ts', env, ['migrate'])
    expect(migrate.code).toBe(2)
    const lines = oneLine(migrate.stderr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`is in use by pid ${server.child.pid} (`)
  })
})

describe('the DATA_DIR lock (in process)', () => {
  it('lets exactly one of many racing acquirers hold the folder', async () => {
    const dataDir = freshDir()
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => acquireDataDirLock(dataDir, 'test')),
    )
    const held = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<DataDirLock>[]
    expect(held).toHaveLength(1)
    for (const r of results)
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(DataDirBusyError)
        expect((r.reason as DataDirBusyError).holder?.pid).toBe(process.pid)
      }
    await held[0]!.value.release()
    // Released: the folder can be taken again.
    const again = await acquireDataDirLock(dataDir, 'test')
    await again.release()
  })

  it('names DATA_DIR when the folder cannot be created, without hanging', async () => {
    await expect(acquireDataDirLock('/proc/blueprints-not-here', 'test')).rejects.toThrow(
      /^DATA_DIR \/proc\/blueprints-not-here cannot be used: ENOENT/,
    )
  })
})
