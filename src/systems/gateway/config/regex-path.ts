/**
 * Kong's regex paths: a path starting with `~` is a regular expression matched from the start of
 * the (normalized) request path, as PCRE's anchored match does. JavaScript's syntax covers the
 * PCRE subset Kong's docs use (classes, groups, named captures `(?<name>...)`).
 */
import { ConfigViolation } from './types.js'

export function compileRegexPath(path: string, where: string): RegExp {
  const source = path.slice(1)
  try {
    return new RegExp(`^(?:${source})`)
  } catch (err) {
    throw new ConfigViolation(`${where}: invalid regex: ${(err as Error).message}`)
  }
}
