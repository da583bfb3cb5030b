/**
 * Health: the endpoints monitoring probes and Shlink clients call first
 * (domains are in domains.routes.ts, mercure-info in mercure.routes.ts).
 */
import type { TypedApp } from '../../platform/http/types.js'
import { Health } from './schemas.js'

/** The Shlink version whose REST API this speaks (clients gate features on it). */
export const SHLINK_COMPAT_VERSION = '4.0.0'

export interface MiscRouteDeps {
  ping: () => Promise<void>
}

const health = (status: 'pass' | 'fail') => ({
  status,
  version: SHLINK_COMPAT_VERSION,
  links: { about: 'https://shlink.io', project: 'https://github.com/shlinkio/shlink' },
})

/** `/rest/health` and `/rest/v3/health` (no API key: monitoring probes have none). */
export function healthRoutes(app: TypedApp, d: MiscRouteDeps): void {
  for (const url of ['/rest/health', '/rest/v3/health'])
    app.get(
      url,
      {
        schema: {
          tags: ['Monitoring'],
          summary: 'Check healthiness (the database answers)',
          response: { 200: Health, 503: Health },
        },
      },
      async (_request, reply) => {
        const ok = await d.ping().then(
          () => true,
          () => false,
        )
        return reply
          .code(ok ? 200 : 503)
          .type('application/health+json')
          .send(health(ok ? 'pass' : 'fail'))
      },
    )
}
