/**
 * Build the console (web/) into web/dist when it is missing or stale, so a
 * fresh clone works with `npm install && npm start`. Staleness is a SHA-256
 * of every source file of web/ (tests and docs excluded) plus the lockfile
 * (a dependency bump changes the output), compared with the stamp the last
 * build wrote. Up to date, it costs a few milliseconds; a build takes seconds.
 *
 *   node --import tsx scripts/build-web.ts           # build if stale
 *   node --import tsx scripts/build-web.ts --force   # build anyway
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const WEB = path.join(ROOT, 'web')
const DIST = path.join(WEB, 'dist')
/** Written last by a successful build; the server never serves it (dotfiles are not served). */
export const STAMP_FILE = '.build-stamp'

/** Files under web/ that do not change the build output. */
function ignored(rel: string): boolean {
  return (
    rel.startsWith('dist/') ||
    rel.startsWith('e2e/') ||
    rel.includes('node_modules/') ||
    /\.(test|e2e)\.tsx?$/.test(rel) ||
    rel.endsWith('.md')
  )
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = base ? `${base}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel))
    else if (entry.isFile() && !ignored(rel)) out.push(rel)
  }
  return out
}

/** SHA-256 over the console's sources (names and contents, in a stable order) and the lockfile. */
export function sourceHash(): string {
  const hash = createHash('sha256')
  for (const rel of listFiles(WEB).sort()) {
    hash.update(`${rel}\0`)
    hash.update(readFileSync(path.join(WEB, rel)))
    hash.update('\0')
  }
  const lock = path.join(ROOT, 'package-lock.json')
  if (existsSync(lock)) hash.update(readFileSync(lock))
  return hash.digest('hex')
}

/** The hash recorded by the last successful build, if any. */
function builtHash(): string | undefined {
  try {
    return readFileSync(path.join(DIST, STAMP_FILE), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Rename `from` to `to`, copying when they are on different filesystems (node_modules linked elsewhere). */
function moveDir(from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
    cpSync(from, to, { recursive: true, errorOnExist: true, force: false })
    rmSync(from, { recursive: true, force: true })
  }
}

/** Build web/dist unless its stamp matches the sources; resolves to what it did. */
export async function buildWeb(opts: { force?: boolean } = {}): Promise<'fresh' | 'built'> {
  const hash = sourceHash()
  if (!opts.force && builtHash() === hash) return 'fresh'
  const { build } = await import('vite')
  // Build beside the output and swap it in, so a server starting meanwhile never sees half a build.
  const tmp = path.join(ROOT, 'node_modules', '.cache', `blueprints-web-${process.pid}`)
  await build({
    configFile: path.join(WEB, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true },
  })
  writeFileSync(path.join(tmp, STAMP_FILE), `${hash}\n`)
  rmSync(DIST, { recursive: true, force: true })
  try {
    moveDir(tmp, DIST)
  } catch (err) {
    // Another build finished first (two `npm` commands at once): keep its output if it is this one.
    rmSync(tmp, { recursive: true, force: true })
    if (builtHash() !== hash) throw err
  }
  return 'built'
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(path.join(WEB, 'index.html'))) {
    // An install without the sources (the Docker image copies package.json first): nothing to build.
    console.log('console: web/ sources not present; skipping its build')
  } else {
    const started = Date.now()
    const result = await buildWeb({ force: process.argv.includes('--force') })
    if (result === 'built') console.log(`console: built web/dist in ${Date.now() - started} ms`)
  }
}
