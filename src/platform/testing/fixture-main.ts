/** A real server process running only the fixture system (graceful-shutdown tests, platform bench). */
import { serve } from '../../serve.js'
import { fixtureSystem } from './fixture-system.js'

await serve({ systems: [fixtureSystem] })
