import { loadConfig } from '../../platform/config.js'
import { systems } from '../index.js'
import { buildApp } from '../../app.js'
import { describe } from 'vitest'
import { x } from './cycle-a.js'
export const all = [loadConfig, systems, buildApp, describe, x]
