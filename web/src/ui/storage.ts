/** localStorage that never throws (private windows and locked-down browsers refuse it). */

/** The stored string at `key`, or undefined. */
export function readStored(key: string): string | undefined {
  try {
    return window.localStorage.getItem(key) ?? undefined
  } catch {
    return undefined
  }
}

/** Store `value` at `key`; undefined removes it. */
export function writeStored(key: string, value: string | undefined): void {
  try {
    if (value === undefined) window.localStorage.removeItem(key)
    else window.localStorage.setItem(key, value)
  } catch {
    // Not persisted: the value still holds for this page's life.
  }
}
