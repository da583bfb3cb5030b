/** A product's variants as rows to insert, checked: kits are made of stock SKUs, policies and dates agree. */
import { StockErrors } from './errors.js'
import type { Policy, SkuInfo } from './ports.js'
import type { NewSku } from './store.pg.js'

export interface SkuInput {
  sku: string
  name?: string
  policy?: Policy
  oversellLimit?: number
  releasesAt?: string
  lowStockThreshold?: number
  price?: number
  components?: { sku: string; quantity: number }[]
}

/** Check each variant against the SKUs that exist (`known`) and its siblings; the rows to insert. */
export function toNewSkus(variants: SkuInput[], known: Map<string, SkuInfo>): NewSku[] {
  const here = new Map(variants.map((v) => [v.sku, v]))
  return variants.map((v, i) => {
    const components = v.components ?? []
    const at = `variants/${i}`
    for (const c of components) {
      const other = known.get(c.sku) ?? here.get(c.sku)
      const isKit = known.get(c.sku)
        ? known.get(c.sku)!.components.length > 0
        : (here.get(c.sku)?.components ?? []).length > 0
      if (!other || isKit || c.sku === v.sku)
        throw StockErrors.invalid(`${at}/components`, `component ${c.sku} must be a stock SKU, not a kit`)
    }
    if (new Set(components.map((c) => c.sku)).size !== components.length)
      throw StockErrors.invalid(`${at}/components`, 'names a component twice')
    const policy = v.policy ?? 'deny'
    if (components.length > 0 && policy !== 'deny')
      throw StockErrors.invalid(`${at}/policy`, "a kit's policy is its components'")
    const releasesAt = v.releasesAt === undefined ? null : new Date(v.releasesAt)
    if (releasesAt && Number.isNaN(releasesAt.getTime()))
      throw StockErrors.invalid(`${at}/releasesAt`, 'is not a date')
    if (policy === 'preorder' && !releasesAt)
      throw StockErrors.invalid(`${at}/releasesAt`, 'a preorder SKU needs the date it is released')
    return {
      sku: v.sku,
      name: v.name ?? v.sku,
      policy,
      oversellLimit: v.oversellLimit ?? null,
      releasesAt,
      lowStockThreshold: v.lowStockThreshold ?? 0,
      price: v.price ?? 0,
      components,
    }
  })
}
