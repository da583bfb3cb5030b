/**
 * `/healthz` says the process is alive (no dependency checked: a liveness
 * probe that fails on a database outage restarts healthy pods). `/readyz`
 * checks every dependency this process was configured with, each within a
 * timeout, and answers 503 naming the ones that failed.
 */
import { Type } from '@sinclair/typebox'
import { PlatformErrors, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js'
import type { TypedApp } from './types.js'

export type ReadinessCheck = () => Promise<void>

const CHECK_TIMEOUT_MS = 2_000

async function withTimeout(check: ReadinessCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        )
      }),
    ])
    return undefined
  } catch (err) {
    return (err as Error).message || String(err)
  } finally {
    clearTimeout(timer)
  }
}

const CheckResult = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('failing')]),
  error: Type.Optional(Type.String()),
})

export function healthRoutes(checks: () => Record<string, ReadinessCheck>, isClosing: () => boolean) {
  return async (app: TypedApp) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['platform'],
          summary: 'Liveness',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    )
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['platform'],
          summary: 'Readiness: every configured dependency answers',
          response: {
            200: Type.Object({
              status: Type.Literal('ready'),
              checks: Type.Record(Type.String(), CheckResult),
            }),
            503: Type.Object(
              {},
              { additionalProperties: true, description: 'problem+json naming the failing dependencies' },
            ),
          },
        },
      },
      async (request, reply) => {
        const entries = Object.entries(checks())
        const results = await Promise.all(
          entries.map(async ([name, check]) => [name, await withTimeout(check)] as const),
        )
        const failing = results.filter(([, err]) => err !== undefined)
        const report = Object.fromEntries(
          results.map(([name, err]) => [
            name,
            err === undefined ? { status: 'ok' as const } : { status: 'failing' as const, error: err },
          ]),
        )
        if (isClosing()) {
          const problem = toProblem(PlatformErrors.shuttingDown(), '/readyz', String(request.id))
          return reply
            .code(503)
            .type(PROBLEM_CONTENT_TYPE)
            .send({ ...problem, checks: report })
        }
        if (failing.length > 0) {
          const names = failing.map(([n]) => n)
          const err = PlatformErrors.dependencyDown(
            names.join(', '),
            failing.map(([n, e]) => `${n}: ${e}`).join('; '),
          )
          const problem = toProblem(err, '/readyz', String(request.id))
          return reply
            .code(503)
            .type(PROBLEM_CONTENT_TYPE)
            .send({ ...problem, dependencies: names, checks: report })
        }
        return { status: 'ready' as const, checks: report }
      },
    )
  }
}
