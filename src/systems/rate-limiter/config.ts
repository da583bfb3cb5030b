/**
 * The configuration: envoyproxy/ratelimit's YAML format, read strictly, plus
 * three keys of ours per descriptor (`algorithm`, `burst`, `failure_mode`).
 * Its keys are all taken: `shadow_mode`, `quota_mode`, `detailed_metric`,
 * `value_to_metric`, `share_threshold`, `metadata`, `name`, `replaces`.
 *
 *   domain: api
 *   descriptors:
 *     - key: remote_address            # any value: each address has its own limit
 *       rate_limit: { unit: second, requests_per_unit: 10, algorithm: token_bucket, burst: 20 }
 *     - key: plan
 *       value: free                    # exactly this value ("fr*" would be a prefix)
 *       shadow_mode: true              # count, never block
 *       rate_limit: { unit: minute, requests_per_unit: 100 }
 *
 * A file holds one domain per YAML document (`---` between them); a
 * configuration can span several files (a directory, as the Go service loads
 * its runtime directory), and with `mergeDomains` (its MERGE_DOMAIN_CONFIG)
 * a domain may be spread over files, each adding descriptors. Like the
 * Go service, an unknown key, an unknown unit, a duplicate descriptor or a
 * duplicate domain is an error naming the place: a typo must not silently
 * turn a limit off. Every limit is also checked by the rate-limit library,
 * so a config that loads can be served.
 */
import { parseAllDocuments } from 'yaml'
import { findUnstorableText } from '../../platform/text/storable.js'
import { Builder, type MutableNode } from './config-domain.js'
import {
  type ConfigFile,
  ConfigLoadError,
  type ParseOptions,
  type RateLimiterConfig,
  type Rule,
} from './config-model.js'

/** Parse and check a whole configuration file; throws ConfigLoadError. */
export function parseConfig(text: string, file = 'config', opts: ParseOptions = {}): RateLimiterConfig {
  return parseConfigFiles([{ name: file, text }], opts)
}

/** Parse and check a configuration made of several files, in the order given; throws ConfigLoadError. */
export function parseConfigFiles(files: readonly ConfigFile[], opts: ParseOptions = {}): RateLimiterConfig {
  const domains = new Map<string, MutableNode>()
  const rules: Rule[] = []
  for (const f of files) parseFile(f.text, f.name, opts, domains, rules)
  const source =
    files.length === 1 ? files[0]!.text : files.map((f) => `# ${f.name}\n${f.text}`).join('\n---\n')
  return { domains, rules, source }
}

function parseFile(
  text: string,
  file: string,
  opts: ParseOptions,
  domains: Map<string, MutableNode>,
  rules: Rule[],
): void {
  const docs = parseAllDocuments(text, { uniqueKeys: true })
  const list = Array.isArray(docs) ? docs : [docs]
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${file} (document ${i + 1})` : file
    if (doc.errors.length > 0) throw new ConfigLoadError(`${where}: ${doc.errors[0]!.message.split('\n')[0]}`)
    let root: unknown
    try {
      root = doc.toJS({ maxAliasCount: 100 })
    } catch (err) {
      // Unresolved aliases, alias bombs: the YAML library throws plain errors for these.
      throw new ConfigLoadError(`${where}: ${(err as Error).message.split('\n')[0]}`)
    }
    if (root === null || root === undefined) return // an empty document (e.g. a trailing ---)
    // A request can never name such text (the edge refuses it), and the admin API stores the file.
    const bad = findUnstorableText(root)
    if (bad !== undefined)
      throw new ConfigLoadError(
        `${where}: ${bad || 'the document'} contains U+0000 or a lone UTF-16 surrogate`,
      )
    new Builder(where, opts, rules).domain(root, domains)
  })
}
