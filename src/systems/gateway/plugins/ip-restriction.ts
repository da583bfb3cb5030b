/**
 * Kong's ip-restriction: `deny` wins over `allow`; with an `allow` list, anyone not on it is refused
 * (403 `IP address not allowed: <ip>`, or the configured status and message). Addresses and CIDRs, v4/v6.
 */
import { BlockList, isIP } from 'node:net'
import { s } from '../config/fields.js'
import { ConfigViolation, type Json, type Plugin } from '../config/types.js'
import type { PluginDefinition, RequestState } from './types.js'

interface Conf {
  allow: string[] | null
  deny: string[] | null
  status: number | null
  message: string | null
}

function blockList(entries: string[], path: string): BlockList {
  const list = new BlockList()
  entries.forEach((e, i) => {
    const [addr, bits] = e.split('/')
    const family = isIP(addr ?? '')
    if (family === 0) throw new ConfigViolation(`${path}[${i}]: invalid ip or cidr range: '${e}'`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(addr!, type)
    else {
      const n = Number(bits)
      if (!Number.isInteger(n) || n < 0 || n > (family === 6 ? 128 : 32))
        throw new ConfigViolation(`${path}[${i}]: invalid ip or cidr range: '${e}'`)
      list.addSubnet(addr!, n, type)
    }
  })
  return list
}

function check(list: BlockList, ip: string): boolean {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4')
}

export const ipRestriction: PluginDefinition = {
  name: 'ip-restriction',
  priority: 990,
  schema: {
    allow: s.arr(s.str({ max: 64 })),
    deny: s.arr(s.str({ max: 64 })),
    status: s.int({ min: 100, max: 599 }),
    message: s.str({ max: 1024 }),
  },
  check(c: Json, path: string) {
    if (!(c.allow as string[] | null)?.length && !(c.deny as string[] | null)?.length)
      throw new ConfigViolation(
        `${path}: at least one of these fields must be non-empty: 'config.allow', 'config.deny'`,
      )
    blockList((c.allow as string[]) ?? [], `${path}.allow`)
    blockList((c.deny as string[]) ?? [], `${path}.deny`)
  },
  create(entity: Plugin) {
    const c = entity.config as unknown as Conf
    const allow = c.allow?.length ? blockList(c.allow, 'allow') : undefined
    const deny = c.deny?.length ? blockList(c.deny, 'deny') : undefined
    const refuse = (ip: string) => ({
      status: c.status ?? 403,
      message: c.message ?? `IP address not allowed: ${ip}`,
    })
    return {
      entity,
      access(st: RequestState) {
        if (deny && check(deny, st.clientIp)) return refuse(st.clientIp)
        if (allow && !check(allow, st.clientIp)) return refuse(st.clientIp)
        return undefined
      },
    }
  },
}
