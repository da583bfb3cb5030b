/**
 * PGlite keeps every acknowledged commit across a SIGKILL, asynchronous
 * commits included: a real child process commits with
 * `synchronous_commit = off` and is killed; the rows it reported committed
 * are all in DATA_DIR when it is opened again.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ROOT } from '../testing/process.js'
import { settle, waitFor } from '../testing/wait.js'
import { openPglite } from './pglite.js'
import { BEHIND_SQL, mayCommitAsync, SAFETY_NET_MS } from './pglite-durability.js'
import { PgliteStatements } from './pglite-statements.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

/** Start the writer on `dataDir`; returns a reader of what it acknowledged so far. */
function startWriter(dataDir: string, mode: 'loop' | 'quiet') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/platform/testing/pglite-writer-main.ts', mode],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const acked = (way: string) =>
    [...out.matchAll(new RegExp(`^acked ${way} (\\d+)$`, 'gm'))].map((m) => Number(m[1]))
  return { child, exited, acked, out: () => out }
}

async function rowsOf(dataDir: string): Promise<Map<string, Set<number>>> {
  const db = await openPglite(dataDir)
  try {
    const { rows } = await db.query<{ way: string; n: number }>('SELECT way, n FROM acks')
    const byWay = new Map<string, Set<number>>()
    for (const r of rows) {
      if (!byWay.has(r.way)) byWay.set(r.way, new Set())
      byWay.get(r.way)!.add(r.n)
    }
    return byWay
  } finally {
    await db.close()
  }
}

describe('PGlite durability across SIGKILL', { timeout: 120_000 }, () => {
  it('keeps every commit acknowledged with synchronous_commit = off (statement and transaction)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-durable-'))
    const writer = startWriter(dataDir, 'loop')
    await waitFor(
      '200 acknowledged commits of each kind',
      () => writer.acked('transaction').length >= 200,
      60_000,
    )
    writer.child.kill('SIGKILL')
    await writer.exited
    const acked = { statement: writer.acked('statement'), transaction: writer.acked('transaction') }
    const rows = await rowsOf(dataDir)
    for (const way of ['statement', 'transaction'] as const) {
      const missing = acked[way].filter((n) => !rows.get(way)?.has(n))
      expect({ way, missing }).toEqual({ way, missing: [] })
    }
  })

  it('flushes a commit made asynchronous where no statement shows it, within the safety-net window', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-durable-'))
    const writer = startWriter(dataDir, 'quiet')
    await waitFor('the writer to finish', () => writer.out().includes('done'), 60_000)
    // The window is 100 ms (200 ms documented); wait well past it, then kill.
    await settle(2_000)
    writer.child.kill('SIGKILL')
    await writer.exited
    const rows = await rowsOf(dataDir)
    expect([...(rows.get('function') ?? [])].sort((a, b) => a - b)).toEqual(writer.acked('function'))
    expect(writer.acked('function')).toHaveLength(20)
  })

  it('checks only after statements ran: an idle database is never queried by the safety net', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bp-durable-'))
    // Only the safety net's interval is faked: PGlite's own timers run as usual.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const query = vi.spyOn(PgliteStatements.prototype, 'query')
    const db = await openPglite(dataDir)
    try {
      const checks = () => query.mock.calls.filter((c) => c[1] === BEHIND_SQL).length
      await db.exec('CREATE TABLE idle_probe (n int)')
      vi.advanceTimersByTime(SAFETY_NET_MS)
      await waitFor('the check after a statement', () => checks() === 1, 30_000)
      await query.mock.results.at(-1)?.value
      // Nothing ran since: five more ticks make no query (the old net made one each).
      for (let i = 0; i < 5; i++) vi.advanceTimersByTime(SAFETY_NET_MS)
      await settle(200)
      expect(checks()).toBe(1)
      // A statement makes the next tick look again.
      await db.query('INSERT INTO idle_probe VALUES (1)')
      vi.advanceTimersByTime(SAFETY_NET_MS)
      await waitFor('the check after the next statement', () => checks() === 2, 30_000)
    } finally {
      query.mockRestore()
      vi.useRealTimers()
      await db.close()
    }
  })

  it('recognises every way SQL asks for asynchronous commit', () => {
    expect(mayCommitAsync("SELECT set_config('synchronous_commit', 'off', true)")).toBe(true)
    expect(mayCommitAsync('SET LOCAL SYNCHRONOUS_COMMIT = off')).toBe(true)
    expect(mayCommitAsync('SELECT 1')).toBe(false)
  })
})
