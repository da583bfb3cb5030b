import type { x } from './cycle-a.js'
export const y: typeof x | undefined = undefined
