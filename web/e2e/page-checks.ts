/** Checks every console page must pass in the browser: keyboard reach, visible focus, no sideways scroll. */
import type { Page } from 'playwright-core'

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex="-1"])'

/**
 * Press Tab through the page and return the controls it never reached, and those that showed no
 * focus outline when reached (each described as `tag "name"`). Both lists should be empty.
 */
export async function keyboardGaps(page: Page): Promise<{ unreached: string[]; noOutline: string[] }> {
  const total = await page.evaluate((selector) => {
    const all = [...document.querySelectorAll<HTMLElement>(selector)].filter(
      (e) => e.getClientRects().length > 0,
    )
    all.forEach((e, i) => {
      e.dataset.kb = String(i)
    })
    return all.length
  }, FOCUSABLE)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  const seen = new Set<string>()
  const noOutline: string[] = []
  for (let i = 0; i < total + 3; i++) {
    await page.keyboard.press('Tab')
    const at = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null
      if (!e?.dataset.kb) return undefined
      const style = getComputedStyle(e)
      return {
        kb: e.dataset.kb,
        outlined: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0,
      }
    })
    if (!at) continue
    if (!seen.has(at.kb) && !at.outlined) noOutline.push(at.kb)
    seen.add(at.kb)
  }
  const describe = (ids: string[]) =>
    page.evaluate(
      (list) =>
        list.map((id) => {
          const e = document.querySelector<HTMLElement>(`[data-kb="${id}"]`)
          return `${e?.tagName.toLowerCase()} "${(e?.getAttribute('aria-label') ?? e?.textContent ?? '').trim().slice(0, 40)}"`
        }),
      ids,
    )
  const unreached = Array.from({ length: total }, (_, i) => String(i)).filter((id) => !seen.has(id))
  return { unreached: await describe(unreached), noOutline: await describe(noOutline) }
}

/** How far the page is wider than the viewport (0 when nothing scrolls sideways). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
}

/**
 * Controls in the page's main area that lie (partly) outside the viewport's width as the page is
 * shown, without scrolling anything: a button a person on a phone cannot see. Each as `tag "name"`.
 */
export async function offscreenControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth
    return [...document.querySelectorAll<HTMLElement>('main button, main a[href], main input, main select')]
      .filter((e) => {
        const r = e.getBoundingClientRect()
        return r.width > 0 && r.height > 0 && (r.left < 0 || r.right > width + 0.5)
      })
      .map(
        (e) =>
          `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 40)}"`,
      )
  })
}
