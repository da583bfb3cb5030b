/** A real server process running only the live fixture system (the live library's multi-process and kill tests). */
import { serve } from '../../serve.js'
import { liveFixture } from './live-fixture.js'

await serve({ systems: [liveFixture] })
