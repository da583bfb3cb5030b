/**
 * Which units a reservation takes: its items expanded (a kit into its components, so a kit and
 * the products it shares components with draw on the same levels), then each expanded line given
 * one location: the one asked for, or else the one with the most on hand not reserved (ties: the
 * first by id). Backorder and preorder SKUs may promise units beyond on hand, up to the SKU's
 * limit over all its locations. Lines of the same SKU are counted against each other, so two items sharing a
 * component are checked together: all or nothing. Pure, so both strategies call it on what they
 * read.
 */
import type { Allocation, Level, Line, SkuInfo } from './ports.js'

export interface Item {
  sku: string
  quantity: number
  location?: string
}

/** Expand kits: the stock lines an item list needs, in the order asked (kits' components in order). */
export function expand(
  items: Item[],
  skus: Map<string, SkuInfo>,
): { sku: string; quantity: number; forSku: string; location?: string }[] {
  const out: { sku: string; quantity: number; forSku: string; location?: string }[] = []
  for (const it of items) {
    const info = skus.get(it.sku)!
    if (info.components.length === 0)
      out.push({ sku: it.sku, quantity: it.quantity, forSku: it.sku, location: it.location })
    else
      for (const c of info.components)
        out.push({ sku: c.sku, quantity: c.quantity * it.quantity, forSku: it.sku, location: it.location })
  }
  return out
}

/** How many units of `info` may be promised beyond on hand now (0 for deny, or a preorder past its release). */
export function oversell(info: SkuInfo, now: Date): number {
  if (info.policy === 'deny') return 0
  if (info.policy === 'preorder' && info.releasesAt && now >= info.releasesAt) return 0
  return info.oversellLimit ?? Number.MAX_SAFE_INTEGER
}

/** Allocate the expanded lines on `levels`; the SKUs that fall short when some do. */
export function allocate(
  lines: ReturnType<typeof expand>,
  levels: Level[],
  skus: Map<string, SkuInfo>,
  now: Date,
): Allocation {
  // What each level can still promise from on hand, as lines take it.
  const left = new Map<string, { onHand: number; location: string; sku: string }>()
  // What each SKU can still promise beyond on hand (backorder / preorder): the limit is the SKU's,
  // over all its locations, less what is already promised beyond on hand (reserved past on hand,
  // and units sold before they arrived: on hand below zero).
  const extra = new Map<string, number>()
  for (const l of levels) {
    left.set(`${l.sku}\u0000${l.location}`, {
      sku: l.sku,
      location: l.location,
      onHand: Math.max(0, l.onHand - l.reserved),
    })
    extra.set(
      l.sku,
      (extra.get(l.sku) ?? oversell(skus.get(l.sku)!, now)) - Math.max(0, l.reserved - l.onHand),
    )
  }
  const out: Line[] = []
  const short = new Set<string>()
  for (const line of lines) {
    const candidates = [...left.values()].filter(
      (v) => v.sku === line.sku && (line.location === undefined || v.location === line.location),
    )
    candidates.sort((a, b) => b.onHand - a.onHand || (a.location < b.location ? -1 : 1))
    const at = candidates[0]
    const beyond = Math.max(0, extra.get(line.sku) ?? 0)
    if (!at || at.onHand + beyond < line.quantity) {
      short.add(line.sku)
      continue
    }
    const fromHand = Math.min(at.onHand, line.quantity)
    at.onHand -= fromHand
    extra.set(line.sku, beyond - (line.quantity - fromHand))
    out.push({
      sku: line.sku,
      location: at.location,
      quantity: line.quantity,
      forSku: line.forSku,
      backordered: line.quantity - fromHand,
    })
  }
  return short.size > 0 ? { ok: false, short: [...short].sort() } : { ok: true, lines: out }
}
