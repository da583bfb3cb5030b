/**
 * What a failed attempt stores about its error: `Name: message` and the
 * stack, bounded in length, with no absolute path of the machine it ran on.
 * Paths under the project root (or the process's working directory) become
 * relative (`src/systems/jobs/tasks.ts:50:11`); any other absolute path
 * keeps only its file name. A stack then says where the error came from in
 * the code, not where the code was installed or whose home directory it was
 * in, and reads the same from every worker.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'

const ERROR_LIMIT = 10_000
const STACK_LIMIT = 20_000

/** The directories paths are made relative to: the project root (three levels up), then the working directory. */
export const PROJECT_ROOTS: readonly string[] = [
  ...new Set([fileURLToPath(new URL('../../../', import.meta.url)), withSlash(process.cwd())]),
].sort((a, b) => b.length - a.length)

function withSlash(dir: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`
}

// The directories of an absolute path (POSIX, file:// URL or Windows) where a path can start.
const ABSOLUTE_DIRS = /(?<=^|[\s('"`=,[])(?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])(?:[^\s()'"`\\/:]+[\\/])+/gm

/** `text` with paths under `roots` made relative and other absolute paths cut to their file name. */
export function withoutMachinePaths(text: string, roots: readonly string[] = PROJECT_ROOTS): string {
  let out = text
  for (const root of roots) {
    out = out.replaceAll(pathToFileURL(root).href.replace(/\/?$/, '/'), '')
    out = out.replaceAll(withSlash(root), '')
  }
  return out.replace(ABSOLUTE_DIRS, '')
}

/** The error and stack an attempt stores for `err` (anything a handler threw). */
export function describeError(err: unknown): { error: string; stack: string | null } {
  if (err instanceof Error)
    return {
      error: withoutMachinePaths(`${err.name}: ${err.message}`).slice(0, ERROR_LIMIT),
      stack: err.stack === undefined ? null : withoutMachinePaths(err.stack).slice(0, STACK_LIMIT),
    }
  return { error: withoutMachinePaths(String(err)).slice(0, ERROR_LIMIT), stack: null }
}
