/**
 * scripts/services.sh: the contract CI and developers rely on. `status` prints one line per
 * service and fails when one is down; `up` leaves running services alone; bad arguments fail
 * loudly. With TEST_SERVICES=1 the local services must all be up (CI ran `services.sh up`).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testServicesEnabled } from '../src/platform/config.js'

const script = fileURLToPath(new URL('./services.sh', import.meta.url))

function run(...args: string[]) {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 60_000, stdio: 'pipe' })
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean), stderr: r.stderr }
}

const LINE = /^(postgres|redis|nats): (up|down) \(127\.0\.0\.1:(5432|6379|4222)[,)]/

describe('scripts/services.sh', () => {
  it('status prints one line per service and fails exactly when one is down', () => {
    const { code, lines } = run('status')
    expect(lines.map((l) => LINE.exec(l)?.[1])).toEqual(['postgres', 'redis', 'nats'])
    const anyDown = lines.some((l) => LINE.exec(l)?.[2] === 'down' || l.includes('JetStream is off'))
    expect(code).toBe(anyDown ? 1 : 0)
  })

  it('status of one service prints only that service', () => {
    const { lines } = run('status', 'redis')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^redis: (up|down) \(127\.0\.0\.1:6379\)$/)
  })

  it('rejects an unknown service and a missing command', () => {
    const unknown = run('up', 'mysql')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("unknown service 'mysql'")
    expect(unknown.lines).toEqual([])

    const none = run()
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^usage: .*services\.sh up\|down\|status/)
  })

  describe.runIf(testServicesEnabled())('with TEST_SERVICES=1', () => {
    it('reports every service up', () => {
      const { code, lines } = run('status')
      expect(lines).toEqual([
        'postgres: up (127.0.0.1:5432)',
        'redis: up (127.0.0.1:6379)',
        'nats: up (127.0.0.1:4222)',
      ])
      expect(code).toBe(0)
    })

    it('up leaves running services alone', () => {
      const { code, lines } = run('up')
      expect(lines).toEqual([
        'postgres: up (127.0.0.1:5432, already running)',
        'redis: up (127.0.0.1:6379, already running)',
        'nats: up (127.0.0.1:4222, already running)',
      ])
      expect(code).toBe(0)
    })
  })
})
