/**
 * Find a system's benchmark suite: `bench/suites/platform.ts` for the
 * platform itself, `src/systems/<system>/bench.ts` for a system. Looked up
 * on disk rather than through a registry, so a system gets a benchmark by
 * adding the file its folder layout already names.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BenchSuite } from '../types.js'
import { UsageError } from './args.js'
import { REPO_ROOT } from './child.js'

/** Suites that live in bench/ because they belong to no system. */
const BUILT_IN: Record<string, string> = { platform: 'bench/suites/platform.ts' }

/** The bench.ts of every system folder that has one. */
function systemSuites(): Record<string, string> {
  const dir = path.join(REPO_ROOT, 'src/systems')
  const out: Record<string, string> = {}
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory() && existsSync(path.join(dir, entry.name, 'bench.ts')))
      out[entry.name] = `src/systems/${entry.name}/bench.ts`
  return out
}

/** Every system `npm run bench` can run, sorted, platform first. */
export function availableSuites(): string[] {
  return [...Object.keys(BUILT_IN), ...Object.keys(systemSuites()).sort()]
}

/** Import the suite of `system`; an unknown name is a UsageError listing the known ones. */
export async function loadSuite(system: string): Promise<BenchSuite> {
  const file = BUILT_IN[system] ?? systemSuites()[system]
  if (!file)
    throw new UsageError(
      `no benchmark for ${JSON.stringify(system)}; available: ${availableSuites().join(', ')}`,
    )
  const mod = (await import(pathToFileURL(path.join(REPO_ROOT, file)).href)) as { default?: BenchSuite }
  const suite = mod.default
  if (!suite || !Array.isArray(suite.scenarios))
    throw new Error(`${file} must default-export a BenchSuite ({ system, scenarios })`)
  return suite
}
