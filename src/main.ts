/** The process entry point: `npm start`. */
import { serve } from './serve.js'

await serve()
