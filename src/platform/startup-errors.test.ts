/**
 * Reasons not to start that an operator can fix are one line on stderr naming
 * the variable, and exit code 2 (as a configuration error), never a stack or a
 * silent hang. Each case spawns the real process.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runToExit } from './testing/process.js'

const FIXTURE = 'src/platform/testing/fixture-main.ts'
const freshDir = () => mkdtempSync(path.join(tmpdir(), 'bp-startup-'))

let busy: Server
let busyPort = 0
beforeAll(async () => {
  busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  busyPort = (busy.address() as { port: number }).port
})
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())))

/** The process's stderr is exactly one line; returns it. */
function theLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).not.toMatch(/^\s+at /)
  return lines[0]!
}

describe('startup errors are one line', { timeout: 120_000 }, () => {
  it('names PORT when it is in use, and releases DATA_DIR', async () => {
    const dataDir = freshDir()
    const r = await runToExit(FIXTURE, { PORT: String(busyPort), DATA_DIR: dataDir })
    expect(r.code).toBe(2)
    expect(theLine(r.stderr)).toBe(
      `blueprints: PORT ${busyPort} on 127.0.0.1 is in use by another process (EADDRINUSE): stop it, or set PORT to a free port (0 picks one)`,
    )
    expect(existsSync(path.join(dataDir, 'blueprints.sock'))).toBe(false)
  })

  it('names RATE_LIMITER_GRPC_PORT when the gRPC port is in use', async () => {
    const r = await runToExit('src/main.ts', {
      SYSTEMS: 'rate-limiter',
      PORT: '0',
      RATE_LIMITER_GRPC_PORT: String(busyPort),
      DATA_DIR: freshDir(),
      LOG_LEVEL: 'warn',
    })
    expect(r.code).toBe(2)
    expect(theLine(r.stderr)).toContain(`RATE_LIMITER_GRPC_PORT ${busyPort} on 127.0.0.1 is in use`)
  })

  it('names DATA_DIR on a path that cannot be created, at once', async () => {
    const r = await runToExit(FIXTURE, { PORT: '0', DATA_DIR: '/proc/x' }, [], 60_000)
    expect(r.code).toBe(2)
    expect(theLine(r.stderr)).toBe(
      'blueprints: DATA_DIR /proc/x cannot be used: ENOENT no such file or directory',
    )
  })
})
