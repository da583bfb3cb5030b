/** Which sold lines units of a return come back to (a kit comes back as its components). */
import { StockErrors } from './errors.js'
import type { Line } from './ports.js'

type SoldLine = Line & { line: number; returned: number }

/** Spread each returned SKU's quantity over its order's lines, never past what a line has left; over that is 409. */
export function linesToReturn(
  sold: readonly SoldLine[],
  items: readonly { sku: string; quantity: number }[],
): (SoldLine & { quantity: number })[] {
  const back: SoldLine[] = []
  const taken = (l: SoldLine) => back.filter((b) => b.line === l.line).reduce((m, b) => m + b.quantity, 0)
  for (const it of items) {
    const lines = sold.filter((l) => l.sku === it.sku)
    const left = lines.reduce((n, l) => n + l.quantity - l.returned - taken(l), 0)
    if (it.quantity > left) throw StockErrors.overReturn(it.sku, left)
    let q = it.quantity
    for (const l of lines) {
      const take = Math.min(q, l.quantity - l.returned - taken(l))
      if (take > 0) back.push({ ...l, quantity: take })
      q -= take
    }
  }
  return back
}
