/**
 * Worker processes for the multi-process tests: each runs testing-worker-main.ts
 * (its tasks: effect-tx, effect-plain, overlap) with the environment given.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { ROOT } from '../../platform/testing/process.js'
import { waitFor } from '../../platform/testing/wait.js'

const ENTRY = 'src/systems/jobs/testing-worker-main.ts'

export interface WorkerProc {
  child: ChildProcess
  /** The worker's id (what it writes in `locked_by`). */
  id: string
  exited: Promise<number | string>
}

/** Start a worker process and wait until it says it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProc> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)))
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const ready = () => /worker ready (\S+)\n/.exec(out)?.[1]
  await waitFor(`worker ready (${err})`, () => gone || ready() !== undefined, 60_000)
  if (gone) throw new Error(`worker exited early: ${err}`)
  return { child, id: ready()!, exited }
}
