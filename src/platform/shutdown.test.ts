/**
 * Graceful shutdown of a real process: SIGTERM in the middle of slow
 * requests lets them complete, refuses new work, and exits 0; a request
 * that outlives SHUTDOWN_TIMEOUT_MS makes the process exit non-zero.
 */
import { describe, expect, it } from 'vitest'
import { startServer } from './testing/process.js'

// Real processes start PGlite (seconds each) and may share 2 cores with other test files.
describe('graceful shutdown', { timeout: 120_000 }, () => {
  it('finishes in-flight slow requests after SIGTERM and exits 0', async () => {
    const server = await startServer({ env: { LOG_LEVEL: 'info' } })
    const inFlight = Array.from({ length: 5 }, () => fetch(`${server.url}/fixture/slow?ms=1500`))
    await new Promise((r) => setTimeout(r, 300)) // they are now being handled
    server.kill('SIGTERM')
    const responses = await Promise.all(inFlight)
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual(Array(5).fill({ sleptMs: 1500 }))
    expect(await server.exited).toBe(0)
    // After exit nothing listens any more.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
    expect(server.stdout()).toContain('shut down cleanly')
  })

  it('exits non-zero when a request outlives SHUTDOWN_TIMEOUT_MS', async () => {
    const server = await startServer({ env: { SHUTDOWN_TIMEOUT_MS: '500' } })
    const hung = fetch(`${server.url}/fixture/slow?ms=5000`).catch(() => 'cut')
    await new Promise((r) => setTimeout(r, 200))
    server.kill('SIGTERM')
    expect(await server.exited).toBe(1)
    expect(await hung).toBe('cut')
    expect(server.stdout()).toContain('shutdown timed out')
  })
})
