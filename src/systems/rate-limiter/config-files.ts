/**
 * Reading RATE_LIMITER_CONFIG: one YAML file, or a directory of them, as
 * envoyproxy/ratelimit loads every `*.yaml` of its runtime directory. In a
 * directory the `.yaml` and `.yml` files are read in name order; names
 * starting with a dot are skipped, which also skips the `..data` and
 * timestamped folders of a mounted Kubernetes ConfigMap (its visible files
 * are symlinks into them, and are followed). The stamp changes whenever a
 * file is added, removed or changed, so hot reload sees all three.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConfigFile } from './config-model.js'

export interface ConfigFiles {
  readonly files: ConfigFile[]
  /** A fingerprint of the names, sizes, times and contents. */
  readonly stamp: string
}

const isYaml = (name: string) => !name.startsWith('.') && /\.ya?ml$/i.test(name)

/** Read the file or the directory's YAML files (an empty directory has no files). */
export async function readConfigFiles(path: string): Promise<ConfigFiles> {
  const s = await stat(path)
  const names = s.isDirectory() ? (await readdir(path)).filter(isYaml).sort() : [undefined]
  const files: ConfigFile[] = []
  let stamp = ''
  for (const name of names) {
    const file = name === undefined ? path : join(path, name)
    const [fs, text] = await Promise.all([stat(file), readFile(file, 'utf8')])
    if (!fs.isFile()) continue
    files.push({ name: file, text })
    stamp += `${file}:${fs.mtimeMs}:${fs.size}:${hash(text)};`
  }
  return { files, stamp }
}

/** The same, synchronously (the boot-time check of the settings). */
export function readConfigFilesSync(path: string): ConfigFile[] {
  const names = statSync(path).isDirectory() ? readdirSync(path).filter(isYaml).sort() : [undefined]
  const files: ConfigFile[] = []
  for (const name of names) {
    const file = name === undefined ? path : join(path, name)
    if (statSync(file).isFile()) files.push({ name: file, text: readFileSync(file, 'utf8') })
  }
  return files
}

/** A cheap content fingerprint (FNV-1a), so an unchanged rewrite is not a reload. */
function hash(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}
