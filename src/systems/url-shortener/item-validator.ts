/**
 * Per-item validation of a batch create. The batch route's own schema only
 * says "an array of up to 1,000 things", so one bad item does not fail the
 * other 999; each item goes through the same schema as POST /short-urls,
 * with the same ajv options Fastify uses (coercion, defaults), and a bad one
 * becomes that item's `invalid-data` result, as does an item holding text
 * PostgreSQL cannot store (U+0000, a lone surrogate).
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import { unstorableText } from '../../platform/http/storable-text.js'
import { findUnstorableText } from '../../platform/text/storable.js'
import { type ShlinkError, toShlinkError } from './shlink-errors.js'

const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false })

export function itemValidator<T extends TSchema>(schema: T) {
  const validate = ajv.compile(schema)
  return (item: unknown): Static<T> | ShlinkError => {
    // Coercion and defaults mutate in place: work on a copy of plain objects only.
    const value = item !== null && typeof item === 'object' && !Array.isArray(item) ? { ...item } : item
    if (validate(value)) {
      // The batch route leaves its items to us (`perItemText`): text PostgreSQL cannot store fails this item alone.
      const field = findUnstorableText(value)
      return field === undefined
        ? (value as Static<T>)
        : (toShlinkError(unstorableText(field, 'body'), 0) as ShlinkError)
    }
    const err = Object.assign(new Error(ajv.errorsText(validate.errors)), {
      validation: validate.errors ?? [],
      validationContext: 'body',
    })
    return toShlinkError(err, 0) as ShlinkError
  }
}
