/**
 * Debian's nginx or HAProxy as a reverse proxy in front of the bench upstream, for the classic-LB
 * comparison. NATIVE_PROXY=nginx|haproxy, UPSTREAM=<base URL>. Writes a minimal config of each one's
 * recommended shape for a keep-alive reverse proxy (one worker / one thread, as a Node process has
 * one, upstream keep-alive on), runs it in the foreground, prints `{"listening":...}` once it
 * accepts connections, and stops it on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

const kind = process.env.NATIVE_PROXY === 'haproxy' ? 'haproxy' : 'nginx'
const upstream = new URL(process.env.UPSTREAM ?? 'http://127.0.0.1:1')

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

const port = await freePort()
const dir = mkdtempSync(path.join(tmpdir(), `bench-${kind}-`))
const file = path.join(dir, `${kind}.conf`)
if (kind === 'nginx')
  writeFileSync(
    file,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream up { server ${upstream.host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  )
else
  writeFileSync(
    file,
    `global
  maxconn 4096
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend bench
  bind 127.0.0.1:${port}
  default_backend up
backend up
  http-reuse always
  server s1 ${upstream.host}
`,
  )

const child =
  kind === 'nginx'
    ? spawn('nginx', ['-c', file, '-p', dir], { stdio: 'inherit' })
    : spawn('haproxy', ['-f', file, '-db'], { stdio: 'inherit' })
child.on('exit', (code) => process.exit(code ?? 1))

// Ready once it accepts a connection.
for (let i = 0; i < 200; i++) {
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
  if (ok) break
  await new Promise((r) => setTimeout(r, 50))
}
console.log(JSON.stringify({ listening: `http://127.0.0.1:${port}`, pid: child.pid }))
const stop = () => {
  child.kill('SIGTERM')
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
