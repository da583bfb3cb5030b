/**
 * A small, safe static file set for the console's build output. The folder
 * is listed once at boot and only the files listed can ever be served: a
 * request path is a key looked up in that list, never joined onto a disk
 * path, so `..`, encoded slashes and symlinks cannot reach anything else.
 * Every file is read at boot (the build is a few hundred KB), so the set
 * served is one consistent build even if web/dist is rebuilt meanwhile
 * (restart to serve the new one); a file is gzipped on its first request.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/** Types worth compressing (images and fonts already are). */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/

/** Vite names built assets `<name>-<hash>.<ext>`: such a file never changes, so it may be cached for good. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/

export interface StaticFile {
  readonly body: Buffer
  readonly gzip: Buffer | undefined
  readonly type: string
  readonly etag: string
  readonly cacheControl: string
}

export class StaticFiles {
  private readonly bodies = new Map<string, Buffer>()
  private readonly loaded = new Map<string, StaticFile>()

  /** Read `dir` (recursively); dotfiles and files of unknown type are left out. */
  constructor(dir: string) {
    for (const rel of listFiles(dir)) this.bodies.set(rel, readFileSync(path.join(dir, ...rel.split('/'))))
  }

  /** Whether `rel` (a posix path relative to the folder) can be served. */
  has(rel: string): boolean {
    return this.bodies.has(rel)
  }

  /** The file at `rel`, or undefined when it is not one of the files read at boot. */
  get(rel: string): StaticFile | undefined {
    const body = this.bodies.get(rel)
    if (!body) return undefined
    let file = this.loaded.get(rel)
    if (!file) {
      const type = CONTENT_TYPES[path.extname(rel)]!
      const gzip = COMPRESSIBLE.test(type) && body.length > 1024 ? gzipSync(body) : undefined
      file = {
        body,
        gzip: gzip && gzip.length < body.length ? gzip : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        cacheControl: HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache',
      }
      this.loaded.set(rel, file)
    }
    return file
  }
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = []
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return out
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const rel = base ? `${base}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel))
    else if (entry.isFile() && CONTENT_TYPES[path.extname(entry.name)]) out.push(rel)
  }
  return out
}
