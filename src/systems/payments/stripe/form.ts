/**
 * Stripe's form encoding, as stripe-node writes it (qs with bracket indices): `amount=2000`,
 * `metadata[order]=6735`, `expand[0]=customer` (or `expand[]=customer`),
 * `card[number]=4242...`. Parsed into nested objects and arrays of strings; anything else
 * (bad percent-escapes, a key both a value and an object, too deep, too many) is a StripeError.
 */
import { StripeErrors } from './errors.js'

export type FormValue = string | FormObject | FormValue[]
export interface FormObject {
  [key: string]: FormValue
}

const MAX_PAIRS = 1000
const MAX_DEPTH = 5
const MAX_INDEX = 1000

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '))
  } catch {
    throw StripeErrors.malformedBody(`bad percent-encoding near '${s.slice(0, 40)}'`)
  }
}

/** `a[b][0][]` -> ['a', 'b', '0', '']. */
function pathOf(key: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key)
  if (!m) throw StripeErrors.malformedBody(`malformed parameter name '${key.slice(0, 60)}'`)
  const rest = [...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)
  if (rest.length >= MAX_DEPTH) throw StripeErrors.malformedBody(`parameter '${m[1]}' is nested too deeply`)
  return [m[1]!, ...rest]
}

/** Parse a form-encoded string (a body or a query string) into nested params. */
export function parseForm(text: string): FormObject {
  const root: FormObject = {}
  if (text === '') return root
  const pairs = text.split('&')
  if (pairs.length > MAX_PAIRS) throw StripeErrors.malformedBody(`more than ${MAX_PAIRS} parameters`)
  for (const pair of pairs) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1))
    set(root, pathOf(key), value, key)
  }
  return finish(root) as FormObject
}

// Containers are built as objects (arrays keyed by index, `[]` appending) and turned into arrays
// at the end, so that `a[1]=x&a[0]=y` works in any order.
const ARRAY = Symbol('array')
type Node = FormObject & { [ARRAY]?: true }

function set(root: Node, path: string[], value: string, key: string): void {
  let node: Node = root
  for (let i = 0; i < path.length; i++) {
    let seg = path[i]!
    const last = i === path.length - 1
    const nextIsIndex = !last && /^\d*$/.test(path[i + 1]!)
    if (node[ARRAY]) {
      if (seg === '') seg = String(Object.keys(node).length)
      else if (!/^\d+$/.test(seg) || Number(seg) > MAX_INDEX)
        throw StripeErrors.malformedBody(`'${key.slice(0, 60)}' mixes a list and an object`)
    } else if (seg === '') throw StripeErrors.malformedBody(`'${key.slice(0, 60)}' has an empty name`)
    const existing = node[seg]
    if (last) {
      if (existing !== undefined && typeof existing !== 'string')
        throw StripeErrors.malformedBody(`'${key.slice(0, 60)}' is given both as a value and as an object`)
      node[seg] = value
      return
    }
    if (existing === undefined) {
      const child: Node = {}
      if (nextIsIndex) child[ARRAY] = true
      node[seg] = child
      node = child
    } else if (typeof existing === 'string')
      throw StripeErrors.malformedBody(`'${key.slice(0, 60)}' is given both as a value and as an object`)
    else node = existing as Node
  }
}

function finish(node: FormValue): FormValue {
  if (typeof node === 'string') return node
  const n = node as Node
  if (n[ARRAY]) {
    return Object.keys(n)
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => finish(n[String(k)]!))
  }
  const out: FormObject = {}
  for (const [k, v] of Object.entries(n)) out[k] = finish(v)
  return out
}
