import { y } from './cycle-b.js'
export const x = () => y
