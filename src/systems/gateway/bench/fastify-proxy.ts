/**
 * The peer: @fastify/http-proxy in front of the same upstream (its documented setup: Fastify with
 * no logger, the plugin with `upstream` and undici's pool, which is its default HTTP client).
 * UPSTREAM is the upstream's base URL. Prints `{"listening":...}`; exits on SIGTERM.
 */
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const app = Fastify()
await app.register(proxy, { upstream: process.env.UPSTREAM ?? 'http://127.0.0.1:1', prefix: '/' })
const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
console.log(JSON.stringify({ listening: url }))
const stop = () => app.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
