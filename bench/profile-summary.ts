/**
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--filter path ...] [--from S] [--to S]`
 *
 * Summarize a CPU profile written by `npm run bench -- <system> --cpu-prof`:
 * self time by function and by file/package, and the inclusive time of the
 * functions in the filtered files (default: the platform's http/ and
 * telemetry/ code, the per-request hooks). Shares are of busy (non-idle)
 * time. `--from`/`--to` (seconds since the profile started) keep only the
 * load: a server's profile also holds its boot (module loading, PGlite), so
 * by default the window starts at the first HTTP request it served.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type Cost, type CpuProfile, firstRequestSec, summarizeProfile } from './harness/cpu-profile.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    filter: { type: 'string', multiple: true },
    from: { type: 'string' },
    to: { type: 'string' },
  },
})
const file = positionals[0]
if (!file) {
  process.stderr.write(
    'usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--filter path]\n',
  )
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const filters = values.filter ?? ['src/platform/http/', 'src/platform/telemetry/']
const fromSec = values.from !== undefined ? Number(values.from) : firstRequestSec(profile)
const s = summarizeProfile(profile, {
  top: Number(values.top),
  filters,
  window: {
    ...(fromSec !== undefined ? { fromSec } : {}),
    ...(values.to !== undefined ? { toSec: Number(values.to) } : {}),
  },
})

const print = (title: string, costs: Cost[]) => {
  process.stdout.write(`\n${title}\n`)
  for (const c of costs)
    process.stdout.write(
      `${(c.share * 100).toFixed(1).padStart(6)}%  ${c.ms.toFixed(0).padStart(7)} ms  ${c.key}\n`,
    )
}
process.stdout.write(
  `${file}: from ${(fromSec ?? 0).toFixed(1)} s, ${(s.totalMs / 1000).toFixed(1)} s sampled in the window, ${((s.idleMs / s.totalMs) * 100).toFixed(1)}% idle; shares below are of busy time\n`,
)
print('self time by file / package', s.selfByFile)
print('self time by function', s.selfByFunction)
if (filters.length > 0) {
  process.stdout.write(
    `\ninclusive time of functions in ${filters.join(', ')} (and their costliest callees)\n`,
  )
  for (const c of s.inclusive) {
    process.stdout.write(
      `${(c.share * 100).toFixed(1).padStart(6)}%  ${c.ms.toFixed(0).padStart(7)} ms  ${c.key}\n`,
    )
    for (const k of c.callees)
      process.stdout.write(
        `        ${(k.share * 100).toFixed(1).padStart(6)}%  ${k.ms.toFixed(0).padStart(7)} ms  ${k.key}\n`,
      )
  }
}
