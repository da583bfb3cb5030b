/**
 * A logic-less template engine (Mustache's tags, a subset): `{{name}}` and `{{a.b}}` insert a
 * value escaped for the channel, `{{#list}}...{{/list}}` repeats for each item of an array (or
 * shows once for a truthy value), `{{^x}}...{{/x}}` shows when x is missing, false or empty,
 * `{{.}}` is the current item. No `{{{raw}}}`: every value is escaped, so a variable can never
 * inject markup (HTML for email), break out of a JSON string (webhooks) or add control
 * characters (plain text: SMS, push, in-app). A variable missing from the data is an error,
 * not an empty string: a message with a hole is refused at trigger time (422).
 */

export type Escaping = 'html' | 'plain' | 'json'

type Node =
  | { t: 'text'; s: string }
  | { t: 'var'; path: string }
  | { t: 'section'; path: string; inverted: boolean; body: Node[] }

export class TemplateError extends Error {
  override name = 'TemplateError'
}

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z0-9_.-]+|\.)\s*\}\}/g
const MAX_DEPTH = 8

/** A text node; a `{{` left in text is a tag the grammar did not match. */
function text(s: string): Node {
  const at = s.indexOf('{{')
  if (at >= 0)
    throw new TemplateError(
      `malformed tag near "${s.slice(at, at + 24)}": use {{name}}, {{a.b}}, {{#list}}...{{/list}} or {{^x}}...{{/x}}`,
    )
  return { t: 'text', s }
}

/** Parse `source` into a tree; throws TemplateError on unbalanced sections or unknown tags. */
export function parseTemplate(source: string): Node[] {
  if (source.includes('{{{'))
    throw new TemplateError(
      '{{{...}}} (unescaped output) is not supported: every value is escaped for its channel',
    )
  const root: Node[] = []
  const stack: { path: string; nodes: Node[] }[] = [{ path: '', nodes: root }]
  let last = 0
  for (const m of source.matchAll(TAG)) {
    const top = stack[stack.length - 1]!
    if (m.index > last) top.nodes.push(text(source.slice(last, m.index)))
    last = m.index + m[0].length
    const [, sigil, path] = m as unknown as [string, string, string]
    if (sigil === '#' || sigil === '^') {
      if (stack.length > MAX_DEPTH) throw new TemplateError(`sections nest deeper than ${MAX_DEPTH}`)
      const body: Node[] = []
      top.nodes.push({ t: 'section', path, inverted: sigil === '^', body })
      stack.push({ path, nodes: body })
    } else if (sigil === '/') {
      if (stack.length === 1 || top.path !== path)
        throw new TemplateError(
          `{{/${path}}} closes ${stack.length === 1 ? 'no section' : `{{#${top.path}}}`}`,
        )
      stack.pop()
    } else top.nodes.push({ t: 'var', path })
  }
  const rest = source.slice(last)
  if (rest) stack[stack.length - 1]!.nodes.push(text(rest))
  if (stack.length > 1) throw new TemplateError(`{{#${stack[stack.length - 1]!.path}}} is never closed`)
  return root
}

const MISSING = Symbol('missing')

function lookup(scopes: unknown[], path: string): unknown {
  if (path === '.') return scopes[scopes.length - 1]
  const parts = path.split('.')
  for (let i = scopes.length - 1; i >= 0; i--) {
    let v: unknown = scopes[i]
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, parts[0]!)) continue
    for (const p of parts) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return MISSING
      v = (v as Record<string, unknown>)[p]
    }
    return v
  }
  return MISSING
}

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
}

/** One value as text escaped for `escaping`. */
export function escapeValue(value: unknown, escaping: Escaping): string {
  if (escaping === 'json') {
    if (typeof value === 'string') return JSON.stringify(value).slice(1, -1)
    return JSON.stringify(value) ?? 'null'
  }
  const s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  if (escaping === 'plain') return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  return s.replace(/[&<>"'`=]/g, (c) => HTML[c]!)
}

const truthy = (v: unknown) =>
  v !== MISSING &&
  v !== undefined &&
  v !== null &&
  v !== false &&
  v !== '' &&
  !(Array.isArray(v) && v.length === 0)

function render(nodes: Node[], scopes: unknown[], escaping: Escaping, missing: Set<string>, out: string[]) {
  for (const n of nodes) {
    if (n.t === 'text') out.push(n.s)
    else if (n.t === 'var') {
      const v = lookup(scopes, n.path)
      if (v === MISSING || v === undefined) missing.add(n.path)
      else out.push(escapeValue(v, escaping))
    } else {
      const v = lookup(scopes, n.path)
      if (n.inverted) {
        if (!truthy(v)) render(n.body, scopes, escaping, missing, out)
      } else if (Array.isArray(v))
        for (const item of v) render(n.body, [...scopes, item], escaping, missing, out)
      else if (truthy(v))
        render(n.body, typeof v === 'object' ? [...scopes, v] : scopes, escaping, missing, out)
    }
  }
}

/** Render `source` with `data`, escaped for `escaping`; throws TemplateError naming missing variables. */
export function renderTemplate(source: string, data: unknown, escaping: Escaping): string {
  const missing = new Set<string>()
  const out: string[] = []
  render(parseTemplate(source), [data], escaping, missing, out)
  if (missing.size > 0) throw new TemplateError(`missing variables: ${[...missing].slice(0, 20).join(', ')}`)
  return out.join('')
}
