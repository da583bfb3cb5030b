/** Stripe's list objects and `expand[]`, shared by every resource. */
import type { Queryable } from '../../../platform/db/port.js'
import { StripeErrors } from './errors.js'
import type { FormObject } from './form.js'
import type { ObjectStore, StripeObject } from './objects.store.js'
import { expandList, idParam, int, onlyParams, str } from './params.js'

const PAGE_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand']

/** GET of a list: `{object: 'list', data, has_more, url}`, newest first, Stripe's cursors. */
export async function listPage(
  objects: ObjectStore,
  on: Queryable,
  account: string,
  type: string,
  url: string,
  p: FormObject,
  filters: readonly string[] = [],
  expandable: Record<string, string> = {},
): Promise<StripeObject> {
  onlyParams(p, [...PAGE_PARAMS, ...filters])
  const where: Record<string, string> = {}
  for (const f of filters) {
    const v = str(p, f, 255)
    if (v !== undefined && v !== '') where[f] = v
  }
  const startingAfter = idParam(p, 'starting_after')
  const endingBefore = idParam(p, 'ending_before')
  if (startingAfter && endingBefore)
    throw StripeErrors.invalidValue(
      'ending_before',
      'You may only specify one of these parameters: starting_after, ending_before.',
    )
  const page = await objects.list(on, account, type, {
    limit: int(p, 'limit', 1, 100) ?? 10,
    startingAfter,
    endingBefore,
    where,
  })
  const paths = expandList(p).map((e) => {
    if (!e.startsWith('data.'))
      throw StripeErrors.invalidValue('expand', `This property cannot be expanded (${e}).`)
    return e.slice(5)
  })
  const data = []
  for (const o of page.data) data.push(await expand(objects, on, account, o, paths, expandable))
  return { object: 'list', data, has_more: page.hasMore, url }
}

/**
 * Replace the id in each field named by `paths` with the object (one level, the fields in
 * `expandable`, field -> object type). Anything else is Stripe's "cannot be expanded".
 */
export async function expand(
  objects: ObjectStore,
  on: Queryable,
  account: string,
  obj: StripeObject,
  paths: readonly string[],
  expandable: Record<string, string>,
): Promise<StripeObject> {
  if (paths.length === 0) return obj
  const out = { ...obj }
  for (const path of paths) {
    const type = expandable[path]
    if (!type) throw StripeErrors.invalidValue('expand', `This property cannot be expanded (${path}).`)
    const id = out[path]
    if (typeof id === 'string')
      out[path] = (await objects.get(on, account, type, id, { withDeleted: true })) ?? id
  }
  return out
}

/** `expand[]` of a single object's request. */
export function expandOf(p: FormObject): string[] {
  return expandList(p)
}
