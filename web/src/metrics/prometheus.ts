/**
 * A parser for the Prometheus text exposition format (0.0.4), enough for
 * what `/metrics` serves: `# HELP`/`# TYPE` lines are skipped, each sample
 * line is `name{label="value",...} value [timestamp]`, label values may
 * carry `\\`, `\"` and `\n` escapes, values may be NaN or +/-Inf.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY
  if (s === '-Inf') return Number.NEGATIVE_INFINITY
  if (s === 'NaN') return Number.NaN
  const n = Number(s)
  if (s === '' || Number.isNaN(n)) throw new Error(`not a number: ${s}`)
  return n
}

/** Parse `{a="1",b="x\"y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {}
  i++
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === ',') i++
    if (line[i] === '}') return [labels, i + 1]
    const eq = line.indexOf('=', i)
    if (eq < 0 || line[eq + 1] !== '"') throw new Error('malformed label')
    const name = line.slice(i, eq).trim()
    let value = ''
    let j = eq + 2
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        j++
        value += line[j] === 'n' ? '\n' : (line[j] ?? '')
      } else value += line[j]
    }
    if (j >= line.length) throw new Error('unterminated label value')
    labels[name] = value
    i = j + 1
  }
  throw new Error('unterminated label set')
}

/** Every sample of an exposition; malformed lines are skipped rather than failing the whole scrape. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    try {
      const brace = line.indexOf('{')
      const space = line.indexOf(' ')
      let name: string
      let labels: Record<string, string> = {}
      let rest: string
      if (brace >= 0 && (space < 0 || brace < space)) {
        name = line.slice(0, brace)
        const [parsed, end] = parseLabels(line, brace)
        labels = parsed
        rest = line.slice(end)
      } else {
        name = line.slice(0, space)
        rest = line.slice(space)
      }
      const value = rest.trim().split(/\s+/)[0] ?? ''
      if (name) out.push({ name, labels, value: parseValue(value) })
    } catch {
      // One odd line (a system's custom metric) must not blank the whole dashboard.
    }
  }
  return out
}
