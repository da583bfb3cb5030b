/** The jobs service's environment variables (the engine's are in platform/jobs/settings.ts). */
import { int, list, optional, str } from '../../platform/settings.js'

export const settings = {
  JOBS_ALLOWED_TARGETS: list({
    default: [],
    item: (v) => /^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(v),
    itemDoc: 'host:port',
    doc: 'HTTP task targets allowed although private or loopback, comma-separated host:port',
  }),
  JOBS_HTTP_TIMEOUT_MS: int({
    default: 30_000,
    min: 100,
    max: 3_600_000,
    doc: 'default timeout of an HTTP task request',
  }),
  JOBS_API_TOKEN: optional(
    str({
      maxLength: 512,
      doc: 'bearer token every /jobs route requires (Authorization: Bearer <token>); unset: the REST API is open',
    }),
  ),
  JOBS_SIGNING_SECRET: optional(
    str({
      maxLength: 200,
      doc: 'HMAC secret of the Blueprints-Signature header of HTTP tasks (default: generated once and stored)',
    }),
  ),
} as const
