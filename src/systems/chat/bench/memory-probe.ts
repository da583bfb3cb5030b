/**
 * A bench-only memory probe. The chat bench loads it into the servers whose idle-connection memory
 * it measures (`node --expose-gc --import <this file>`, see idle-memory.ts); production code never
 * imports it and no production start runs it.
 *
 * On SIGUSR2 it runs full garbage collections and writes `process.memoryUsage()` as JSON to
 * $BENCH_MEMORY_PROBE_FILE. Why: RSS read at an arbitrary moment includes whatever garbage V8 has
 * not collected yet (issuing thousands of tokens makes plenty), which is what made the old
 * measure swing between 10 and 19 KiB per connection. Collected first, what is left is what the
 * connections hold.
 */
import { renameSync, writeFileSync } from 'node:fs'

const file = process.env.BENCH_MEMORY_PROBE_FILE
const gc = (globalThis as { gc?: () => void }).gc

if (file !== undefined && gc !== undefined) {
  let seq = 0
  let busy = false
  process.on('SIGUSR2', () => {
    if (busy) return
    busy = true
    void (async () => {
      // Twice, with turns of the event loop between: the first collection queues weak callbacks
      // (Buffers' backing stores, FinalizationRegistry), which run in between and release memory
      // that the second collection then frees.
      gc()
      await new Promise((r) => setImmediate(r))
      await new Promise((r) => setTimeout(r, 20))
      gc()
      // V8 hands the pages a collection freed to a background task that unmaps them: let it run,
      // or RSS still counts them.
      await new Promise((r) => setTimeout(r, 300))
      const sample = { seq: ++seq, ...process.memoryUsage() }
      // Write and rename: the reader never sees half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(sample))
      renameSync(`${file}.tmp`, file)
      busy = false
    })()
  })
}
