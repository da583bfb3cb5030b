/**
 * Which form field a refusal of the URL shortener is about. Shlink names
 * fields in `invalidElements` (handled by the shared `fieldErrors`); two of
 * its errors name them only by type: an invalid URL is the long URL, a slug
 * already in use is the custom slug.
 */
import { fieldErrors, type Problem, problemMessage } from '../../api/problem'

const BY_TYPE: Record<string, string> = {
  'https://shlink.io/api/error/invalid-url': 'longUrl',
  'https://shlink.io/api/error/non-unique-slug': 'customSlug',
}

/** Messages by field name of the create form. */
export function createFormErrors(p: Problem): Record<string, string> {
  const out = fieldErrors(p)
  const field = p.type ? BY_TYPE[p.type] : undefined
  if (field && !out[field]) out[field] = problemMessage(p)
  return out
}
