import { describe } from 'vitest'
import { backends, testDb } from '../testing/backends.js'
import { dbContract } from './db.contract.js'

describe.each(backends())('%s', (backend) => {
  dbContract(backend === 'embedded' ? 'PGlite' : 'pg', () => testDb(backend))
})
