/**
 * A real server process for systems-processes.test.ts: the jobs system (with a `whoami` task for
 * the queues no system owns) and two small systems, alpha and beta, each owning a queue
 * (`<name>.work`) and a task (`<name>.whoami`). Every task returns this process's pid, which the
 * engine stores as the job's result: the test reads which process ran each job. SYSTEMS picks
 * which of the three a process runs.
 */
import { defineSystem, type SystemDefinition } from '../../platform/system.js'
import { serve } from '../../platform/testing/serve.js'
import { createJobsSystem } from './index.js'

const whoami = {
  description: 'returns the pid of the process that ran it',
  handler: () => ({ pid: process.pid }),
}

function owner(name: string): SystemDefinition {
  return defineSystem({
    name,
    description: `a test system owning queue ${name}.work`,
    jobs: { queues: { [`${name}.work`]: { concurrency: 4 } } },
    async create() {
      return { routes() {}, tasks: { [`${name}.whoami`]: whoami } }
    },
  })
}

await serve({ systems: [createJobsSystem({ tasks: { whoami } }), owner('alpha'), owner('beta')] })
