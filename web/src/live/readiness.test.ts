import { describe, expect, it } from 'vitest'
import { healthOf, type Readiness } from './readiness'

const systems = ['url-shortener', 'jobs']

describe('healthOf', () => {
  it('is unknown before the first answer, healthy when every check passes', () => {
    expect(healthOf('jobs', undefined, systems).state).toBe('unknown')
    const ok: Readiness = { ready: true, checks: { database: { status: 'ok' }, jobs: { status: 'ok' } } }
    expect(healthOf('jobs', ok, systems)).toEqual({ state: 'ok', failing: [] })
  })

  it('marks every system unhealthy when a shared dependency fails, naming it', () => {
    const r: Readiness = {
      ready: false,
      checks: { database: { status: 'failing', error: 'connection refused' }, bus: { status: 'ok' } },
    }
    for (const s of systems)
      expect(healthOf(s, r, systems)).toEqual({
        state: 'failing',
        failing: [{ name: 'database', error: 'connection refused' }],
      })
  })

  it("charges a system's own failing check to that system alone", () => {
    const r: Readiness = {
      ready: false,
      checks: { database: { status: 'ok' }, jobs: { status: 'failing', error: 'scheduler stalled' } },
    }
    expect(healthOf('jobs', r, systems).failing).toEqual([{ name: 'jobs', error: 'scheduler stalled' }])
    expect(healthOf('url-shortener', r, systems).state).toBe('ok')
  })

  it('calls the server itself failing when it is not ready with every check passing (shutting down)', () => {
    const r: Readiness = {
      ready: false,
      checks: { database: { status: 'ok' } },
      detail: 'The server is shutting down',
    }
    expect(healthOf('jobs', r, systems)).toEqual({
      state: 'failing',
      failing: [{ name: 'server', error: 'The server is shutting down' }],
    })
  })
})
