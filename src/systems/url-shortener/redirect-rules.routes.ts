/** `/rest/v3/short-urls/{shortCode}/redirect-rules`: list and set a short URL's redirect rules. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import type { ShortUrlRow } from './ports.js'
import { DomainQuery, ShortCodeParams } from './schemas.js'
import type { ShortUrlService } from './service.js'

const TAGS = ['Redirect rules']

const Condition = Type.Object({
  type: Type.String(),
  matchKey: Type.Union([Type.String(), Type.Null()]),
  matchValue: Type.Union([Type.String(), Type.Null()]),
})

const RuleList = Type.Object({
  defaultLongUrl: Type.String(),
  redirectRules: Type.Array(
    Type.Object({ longUrl: Type.String(), priority: Type.Integer(), conditions: Type.Array(Condition) }),
  ),
})

function ruleList(row: ShortUrlRow) {
  return {
    defaultLongUrl: row.longUrl,
    redirectRules: row.rules.map((r, i) => ({
      longUrl: r.longUrl,
      priority: i + 1,
      conditions: r.conditions,
    })),
  }
}

export function redirectRuleRoutes(api: TypedApp, service: ShortUrlService): void {
  api.get(
    '/short-urls/:shortCode/redirect-rules',
    {
      schema: {
        tags: TAGS,
        summary: 'List short URL redirect rules',
        params: ShortCodeParams,
        querystring: DomainQuery,
        response: { 200: RuleList },
      },
    },
    async (request) => ruleList(await service.get(request.params.shortCode)),
  )

  api.post(
    '/short-urls/:shortCode/redirect-rules',
    {
      schema: {
        tags: TAGS,
        summary: 'Set short URL redirect rules',
        description:
          'Replaces the rules; priorities follow the order given (1 first). On a visit the first rule whose ' +
          'conditions all match gives the long URL (README: redirect rules).',
        params: ShortCodeParams,
        querystring: DomainQuery,
        // Checked by redirect-rules.ts, so that a bad rule is Shlink's invalid-data naming redirectRules.
        body: Type.Optional(
          Type.Unknown({ description: '{"redirectRules": [{"longUrl", "conditions": [...]}]}' }),
        ),
        response: { 200: RuleList },
      },
    },
    async (request) => ruleList(await service.setRules(request.params.shortCode, request.body)),
  )
}
