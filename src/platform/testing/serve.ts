/** Re-exported so a system's test server entries (real processes with test systems) reach `serve` through the platform only. */
export { serve } from '../../serve.js'
