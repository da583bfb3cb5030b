/**
 * Health, domains and the Mercure probe: the small endpoints Shlink clients
 * call when they connect to a server.
 */
import type { TypedApp } from '../../platform/http/types.js'
import { DomainList, Health } from './schemas.js'
import { ShlinkErrors } from './shlink-errors.js'

/** The Shlink version whose REST API this speaks (clients gate features on it). */
export const SHLINK_COMPAT_VERSION = '4.0.0'

export interface MiscRouteDeps {
  ping: () => Promise<void>
  defaultDomain: () => string
  invalidCodeRedirect: string | undefined
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

/** `/rest/v3/domains` and `/rest/v3/mercure-info` (behind the API key). */
export function miscRoutes(api: TypedApp, d: MiscRouteDeps): void {
  api.get(
    '/domains',
    {
      schema: { tags: ['Domains'], summary: 'List configured domains', response: { 200: DomainList } },
    },
    async () => {
      const redirects = {
        baseUrlRedirect: null,
        regular404Redirect: null,
        invalidShortUrlRedirect: d.invalidCodeRedirect ?? null,
      }
      return {
        domains: {
          data: [{ domain: d.defaultDomain(), isDefault: true, redirects }],
          defaultRedirects: redirects,
        },
      }
    },
  )

  api.get(
    '/mercure-info',
    {
      schema: {
        tags: ['Integrations'],
        summary: 'Get mercure integration info (no hub is configured: always 501, as Shlink answers then)',
      },
    },
    async () => {
      throw ShlinkErrors.mercureNotConfigured()
    },
  )
}
