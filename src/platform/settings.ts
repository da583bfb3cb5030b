/**
 * Typed parsers for environment settings. Each parser turns one raw string
 * into a value or throws a ConfigError whose message names the variable, so
 * a wrong value stops the process with one clear line.
 */

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export interface Setting<T> {
  /** One line for the configuration table in docs and `--help`. */
  readonly doc: string
  parse(name: string, raw: string | undefined): T
}

type Opt<T> = { default?: T; doc?: string }

function fail(name: string, raw: string, expected: string): never {
  throw new ConfigError(`${name} must be ${expected}, got ${JSON.stringify(raw)}`)
}

function required<T>(
  name: string,
  raw: string | undefined,
  def: T | undefined,
  parse: (raw: string) => T,
): T {
  if (raw === undefined || raw === '') {
    if (def === undefined) throw new ConfigError(`${name} is required but not set`)
    return def
  }
  return parse(raw.trim())
}

/** A string; `optional` settings yield undefined when unset. */
export function str(o: Opt<string> & { maxLength?: number } = {}): Setting<string> {
  return {
    doc: o.doc ?? '',
    parse: (name, raw) =>
      required(name, raw, o.default, (v) => {
        if (o.maxLength !== undefined && v.length > o.maxLength)
          fail(name, v, `at most ${o.maxLength} characters`)
        return v
      }),
  }
}

export function optional<T>(s: Setting<T>): Setting<T | undefined> {
  return {
    doc: s.doc,
    parse: (name, raw) => (raw === undefined || raw === '' ? undefined : s.parse(name, raw)),
  }
}

export function int(o: Opt<number> & { min?: number; max?: number } = {}): Setting<number> {
  const min = o.min ?? Number.MIN_SAFE_INTEGER
  const max = o.max ?? Number.MAX_SAFE_INTEGER
  return {
    doc: o.doc ?? '',
    parse: (name, raw) =>
      required(name, raw, o.default, (v) => {
        if (!/^-?\d+$/.test(v)) fail(name, v, `an integer between ${min} and ${max}`)
        const n = Number(v)
        if (n < min || n > max) fail(name, v, `an integer between ${min} and ${max}`)
        return n
      }),
  }
}

export function bool(o: Opt<boolean> = {}): Setting<boolean> {
  return {
    doc: o.doc ?? '',
    parse: (name, raw) =>
      required(name, raw, o.default, (v) => {
        const l = v.toLowerCase()
        if (['1', 'true', 'yes', 'on'].includes(l)) return true
        if (['0', 'false', 'no', 'off'].includes(l)) return false
        return fail(name, v, 'one of true/false/1/0/yes/no/on/off')
      }),
  }
}

export function oneOf<const T extends string>(values: readonly T[], o: Opt<T> = {}): Setting<T> {
  return {
    doc: o.doc ?? '',
    parse: (name, raw) =>
      required(name, raw, o.default, (v) => {
        if (!(values as readonly string[]).includes(v)) fail(name, v, `one of ${values.join(', ')}`)
        return v as T
      }),
  }
}

/** A URL whose scheme is one of `protocols` (without the colon). */
export function url(protocols: readonly string[], o: Opt<string> = {}): Setting<string> {
  return {
    doc: o.doc ?? '',
    parse: (name, raw) =>
      required(name, raw, o.default, (v) => {
        let u: URL
        try {
          u = new URL(v)
        } catch {
          return fail(name, v, `a URL (${protocols.map((p) => `${p}://`).join(' or ')})`)
        }
        if (!protocols.includes(u.protocol.slice(0, -1))) fail(name, v, `a ${protocols.join(' or ')} URL`)
        return v
      }),
  }
}

/** A comma-separated list; each item checked by `item` when given. */
export function list(o: Opt<string[]> & { item?: (v: string) => boolean; itemDoc?: string } = {}) {
  return {
    doc: o.doc ?? '',
    parse: (name: string, raw: string | undefined): string[] =>
      required(name, raw, o.default, (v) => {
        const items = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        for (const it of items)
          if (o.item && !o.item(it)) fail(name, v, `a comma-separated list of ${o.itemDoc}`)
        return items
      }),
  } satisfies Setting<string[]>
}

export type SettingsSpec = Record<string, Setting<unknown>>
export type SettingsOf<S extends SettingsSpec> = { readonly [K in keyof S]: ReturnType<S[K]['parse']> }

/** Parse every setting of `spec` from `env`; throws the first ConfigError. */
export function parseSettings<S extends SettingsSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>>,
): SettingsOf<S> {
  const out: Record<string, unknown> = {}
  for (const [name, setting] of Object.entries(spec)) out[name] = setting.parse(name, env[name])
  return Object.freeze(out) as SettingsOf<S>
}

/**
 * Parse `spec` from `env`, reading each renamed variable (`renames`: old name -> new name) under
 * its old name when only that one is set, so an upgrade does not silently drop a setting. A value
 * under an old name is validated under that name; `warnings` has one line per old name found.
 */
export function parseSettingsRenamed<S extends SettingsSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>>,
  renames: Readonly<Record<string, keyof S & string>>,
): { values: SettingsOf<S>; warnings: string[] } {
  const merged: Record<string, string | undefined> = { ...env }
  const warnings: string[] = []
  for (const [old, now] of Object.entries(renames)) {
    const raw = env[old]
    if (raw === undefined || raw === '') continue
    if (env[now] !== undefined && env[now] !== '') {
      warnings.push(`${old} is deprecated and ignored: ${now} is set (remove ${old})`)
      continue
    }
    spec[now]!.parse(old, raw)
    merged[now] = raw
    warnings.push(`${old} is deprecated: it was renamed ${now}, which is read from it for now (rename it)`)
  }
  return { values: parseSettings(spec, merged), warnings }
}
