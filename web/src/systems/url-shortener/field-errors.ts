/**
 * Which form field a refusal of the URL shortener is about. Shlink 4 names
 * fields in `invalidElements` (handled by the shared `fieldErrors`, an
 * invalid long URL included); one error names its field only by type: a
 * slug already in use is the custom slug.
 */
import { fieldErrors, type Problem, problemMessage } from '../../api/problem'

const BY_TYPE: Record<string, string> = {
  'https://shlink.io/api/error/non-unique-slug': 'customSlug',
}

/** Messages by field name of the create form. */
export function createFormErrors(p: Problem): Record<string, string> {
  const out = fieldErrors(p)
  const field = p.type ? BY_TYPE[p.type] : undefined
  if (field && !out[field]) out[field] = problemMessage(p)
  return out
}
