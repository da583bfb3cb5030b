/**
 * Worker processes for the multi-process tests: each runs testing-worker-main.ts
 * (its tasks: effect-tx, effect-plain, overlap) with the environment given.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnEntry } from '../testing/process.js'
import { waitFor } from '../testing/wait.js'

const ENTRY = 'src/platform/jobs/testing-worker-main.ts'

export interface WorkerProc {
  child: ChildProcess
  /** The worker's id (what it writes in `locked_by`). */
  id: string
  exited: Promise<number | string>
}

/** Start a worker process and wait until it says it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProc> {
  const { child, stdout, stderr, exited } = spawnEntry(ENTRY, env)
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const ready = () => /worker ready (\S+)\n/.exec(stdout())?.[1]
  await waitFor(`worker ready (${stderr()})`, () => gone || ready() !== undefined, 60_000)
  if (gone) throw new Error(`worker exited early: ${stderr()}`)
  return { child, id: ready()!, exited }
}
