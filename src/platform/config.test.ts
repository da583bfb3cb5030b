import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, systemSettings } from './config.js'
import { bool, int, list, oneOf, optional, str, url } from './settings.js'
import { runToExit } from './testing/process.js'

describe('loadConfig', () => {
  it('has the documented defaults, frozen', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redisUrl: undefined,
      natsUrl: undefined,
      systems: ['all'],
      logLevel: 'info',
      otelEndpoint: undefined,
      shutdownTimeoutMs: 10_000,
    })
    expect(Object.isFrozen(c)).toBe(true)
    expect(() => {
      ;(c as { port: number }).port = 1
    }).toThrow()
  })

  it('parses every variable of the table', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/tmp/x',
      DATABASE_URL: 'postgres://u@db:5432/app',
      REDIS_URL: 'redis://cache:6379',
      NATS_URL: 'nats://bus:4222',
      SYSTEMS: 'url-shortener, jobs',
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    })
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/tmp/x',
      databaseUrl: 'postgres://u@db:5432/app',
      redisUrl: 'redis://cache:6379',
      natsUrl: 'nats://bus:4222',
      systems: ['url-shortener', 'jobs'],
      logLevel: 'debug',
      otelEndpoint: 'http://collector:4318',
    })
  })

  it.each([
    [{ PORT: 'eighty' }, /^PORT must be an integer between 0 and 65535, got "eighty"$/],
    [{ PORT: '70000' }, /^PORT must be an integer/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgres or postgresql URL/],
    [{ REDIS_URL: 'not a url' }, /^REDIS_URL must be a URL/],
    [
      { LOG_LEVEL: 'loud' },
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/,
    ],
    [{ SHUTDOWN_TIMEOUT_MS: '-5' }, /^SHUTDOWN_TIMEOUT_MS must be an integer/],
    [{ DB_SCHEMA_PREFIX: 'Bad-Prefix' }, /^DB_SCHEMA_PREFIX must be lower-case/],
    [{ METRICS_ENABLED: 'maybe' }, /^METRICS_ENABLED must be one of true\/false/],
  ])('rejects %o with one clear line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined })
  })
})

describe('system settings', () => {
  const spec = {
    A_STR: str({ default: 'x', maxLength: 3 }),
    A_INT: int({ default: 5, min: 1, max: 10 }),
    A_BOOL: bool({ default: false }),
    A_ENUM: oneOf(['301', '302'] as const, { default: '302' }),
    A_LIST: list({ default: [] }),
    A_URL: optional(url(['https'])),
    A_REQUIRED: str(),
  }

  it('parses declared variables from the boot environment', () => {
    const c = loadConfig({ A_INT: '7', A_BOOL: 'yes', A_ENUM: '301', A_LIST: 'a,b', A_REQUIRED: 'r' })
    expect(systemSettings(c, spec)).toEqual({
      A_STR: 'x',
      A_INT: 7,
      A_BOOL: true,
      A_ENUM: '301',
      A_LIST: ['a', 'b'],
      A_URL: undefined,
      A_REQUIRED: 'r',
    })
  })

  it('names the variable that is missing or wrong', () => {
    expect(() => systemSettings(loadConfig({}), spec)).toThrow('A_REQUIRED is required but not set')
    expect(() => systemSettings(loadConfig({ A_REQUIRED: 'r', A_INT: '11' }), spec)).toThrow(/^A_INT must be/)
    expect(() => systemSettings(loadConfig({ A_REQUIRED: 'r', A_STR: 'long' }), spec)).toThrow(
      'A_STR must be at most 3 characters',
    )
    expect(() => systemSettings(loadConfig({ A_REQUIRED: 'r', A_URL: 'http://x' }), spec)).toThrow(
      /^A_URL must be a https URL/,
    )
  })
})

describe('a wrong value stops the real process with one line', { timeout: 120_000 }, () => {
  it.each([
    [
      { PORT: 'abc' },
      'blueprints: invalid configuration: PORT must be an integer between 0 and 65535, got "abc"',
    ],
    [{ SYSTEMS: 'nope' }, 'blueprints: invalid configuration: SYSTEMS names unknown system "nope"'],
    [{ FIXTURE_FLAG: 'perhaps' }, 'blueprints: invalid configuration: FIXTURE_FLAG must be one of'],
  ])('%o', async (env, line) => {
    const { code, stderr, stdout } = await runToExit('src/platform/testing/fixture-main.ts', {
      ...env,
      DATA_DIR: '/nonexistent-never-created',
    })
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain(line)
    expect(stdout).toBe('')
  })
})
