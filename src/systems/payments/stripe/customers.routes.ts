/** `/v1/customers`: create, retrieve, update, delete, list (Stripe's Customer object). */
import type { Router, StripeDeps } from './api.js'
import { StripeErrors } from './errors.js'
import type { FormObject } from './form.js'
import { listPage } from './lists.js'
import { newId, nowSeconds, type StripeObject } from './objects.store.js'
import { mergeMetadata, metadata, onlyParams, str } from './params.js'

const FIELDS = ['email', 'name', 'description', 'phone', 'metadata', 'expand']

function fields(p: FormObject) {
  onlyParams(p, FIELDS)
  const email = str(p, 'email', 512)
  if (email !== undefined && email !== '' && !/^[^\s@]+@[^\s@]+$/.test(email))
    throw StripeErrors.invalidValue('email', `Invalid email address: ${email.slice(0, 100)}`)
  return {
    email,
    name: str(p, 'name', 256),
    description: str(p, 'description', 350),
    phone: str(p, 'phone', 20),
    metadata: metadata(p),
  }
}

export function customerRoutes(deps: StripeDeps) {
  const { objects, events } = deps
  return (r: Router) => {
    r.post('/customers', 'Create a customer', async (c, tx) => {
      const f = fields(c.params)
      const customer: StripeObject = {
        id: newId('cus'),
        object: 'customer',
        address: null,
        balance: 0,
        created: nowSeconds(),
        currency: null,
        default_source: null,
        delinquent: false,
        description: f.description || null,
        email: f.email || null,
        invoice_prefix: null,
        livemode: false,
        metadata: f.metadata ?? {},
        name: f.name || null,
        phone: f.phone || null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
      }
      await objects.insert(tx, c.account, customer)
      await events.emit(tx, c.account, 'customer.created', customer, c.request)
      return customer
    })
    r.get('/customers/:id', 'Retrieve a customer', async (c, db) => {
      onlyParams(c.params, ['expand'])
      const o = await objects.get(db, c.account, 'customer', c.id, { withDeleted: true })
      if (!o) throw StripeErrors.resourceMissing('customer', c.id)
      return o
    })
    r.post('/customers/:id', 'Update a customer', async (c, tx) => {
      const f = fields(c.params)
      const o = await objects.require(tx, c.account, 'customer', c.id, 'customer', 'id', true)
      const previous: Record<string, unknown> = {}
      const next = { ...o }
      for (const k of ['email', 'name', 'description', 'phone'] as const) {
        if (f[k] === undefined) continue
        previous[k] = o[k]
        next[k] = f[k] || null
      }
      if (f.metadata !== undefined) {
        previous.metadata = o.metadata
        next.metadata = mergeMetadata(o.metadata, f.metadata)
      }
      await objects.update(tx, c.account, next)
      await events.emit(tx, c.account, 'customer.updated', next, c.request, previous)
      return next
    })
    r.del('/customers/:id', 'Delete a customer', async (c, tx) => {
      const o = await objects.require(tx, c.account, 'customer', c.id, 'customer', 'id', true)
      await objects.markDeleted(tx, c.account, c.id)
      await events.emit(tx, c.account, 'customer.deleted', o, c.request)
      return { id: c.id, object: 'customer', deleted: true }
    })
    r.get('/customers', 'List customers', (c, db) =>
      listPage(objects, db, c.account, 'customer', '/v1/customers', c.params, ['email']),
    )
  }
}
