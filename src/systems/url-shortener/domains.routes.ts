/** `/rest/v3/domains`: the domains and their "not found" redirects (visits per domain: visits.routes.ts). */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import type { Domains } from './domains.js'
import { DomainList, Redirects } from './schemas.js'

const TAGS = ['Domains']

export function domainRoutes(api: TypedApp, domains: Domains): void {
  api.get(
    '/domains',
    {
      schema: {
        tags: TAGS,
        summary: 'List domains: the default one first, then those with redirects configured',
        response: { 200: DomainList },
      },
    },
    async () => ({ domains: { data: await domains.list(), defaultRedirects: domains.defaults } }),
  )

  api.patch(
    '/domains/redirects',
    {
      schema: {
        tags: TAGS,
        summary: 'Sets domain "not found" redirects',
        description:
          'Absent fields keep their value, null clears one. A domain not seen before is created. ' +
          'Redirects are absolute URLs; `{DOMAIN}` and `{ORIGINAL_PATH}` are filled in on each visit.',
        // Checked by hand so that every bad field is named in invalidElements, as Shlink does.
        body: Type.Object(
          {
            domain: Type.Optional(Type.Unknown()),
            baseUrlRedirect: Type.Optional(Type.Unknown()),
            regular404Redirect: Type.Optional(Type.Unknown()),
            invalidShortUrlRedirect: Type.Optional(Type.Unknown()),
          },
          { description: 'The domain (authority) and the redirects to set' },
        ),
        response: { 200: Redirects },
      },
    },
    async (request) => domains.setRedirects(request.body),
  )
}
