/**
 * The plugins this gateway runs, by Kong name. A config naming any other plugin is refused; a
 * plugin's config is validated by its schema (defaults filled) and its own cross-field checks.
 */
import { validateRecord } from '../config/fields.js'
import type { Json } from '../config/types.js'
import { correlationId } from './correlation-id.js'
import { cors } from './cors.js'
import { ipRestriction } from './ip-restriction.js'
import { jwt } from './jwt.js'
import { keyAuth } from './key-auth.js'
import { openidConnect } from './openid-connect.js'
import { rateLimiting } from './rate-limiting.js'
import { requestSizeLimiting } from './request-size-limiting.js'
import type { PluginDefinition } from './types.js'

export const PLUGINS: ReadonlyMap<string, PluginDefinition> = new Map(
  [correlationId, cors, jwt, keyAuth, openidConnect, ipRestriction, requestSizeLimiting, rateLimiting].map(
    (p) => [p.name, p],
  ),
)

/** The normalizer's plugin hook: the validated config, or undefined for an unknown plugin. */
export function validatePluginConfig(name: string, config: Json, path: string): Json | undefined {
  const def = PLUGINS.get(name)
  if (!def) return undefined
  const c = validateRecord(def.schema, config, path)
  def.check?.(c, path)
  return c
}
