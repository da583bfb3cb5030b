/** Test helpers: an app with the rate limiter on a config file of the test's own. */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type App, buildTestApp } from '../../platform/testing/app.js'
import type { BackendName } from '../../platform/testing/backends.js'
import rateLimiter from './index.js'

export interface RateLimiterTestApp {
  app: App
  /** The config file the app reads (replace it with `writeConfig`). */
  file: string
  /** Replace the config file atomically, as an editor or a ConfigMap swap would. */
  writeConfig(yaml: string): void
  /** POST /rate-limiter/json. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answer freely
  decide(body: unknown): Promise<{ status: number; json: any }>
  close(): Promise<void>
}

/** Start an app whose rate limiter serves `yaml`. */
export async function rateLimiterApp(
  backend: BackendName,
  yaml: string,
  env: Record<string, string> = {},
): Promise<RateLimiterTestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-config-'))
  const file = join(dir, 'config.yaml')
  const writeConfig = (text: string) => {
    const tmp = `${file}.${process.hrtime.bigint()}`
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  }
  writeConfig(yaml)
  const app = await buildTestApp(backend, {
    systems: [rateLimiter],
    env: { RATE_LIMITER_CONFIG: file, RATE_LIMITER_CONFIG_POLL_MS: '100', ...env },
  })
  return {
    app,
    file,
    writeConfig,
    async decide(body) {
      const res = await app.http.inject({
        method: 'POST',
        url: '/rate-limiter/json',
        payload: body as object,
      })
      return { status: res.statusCode, json: res.json() }
    },
    close: () => app.close(),
  }
}
