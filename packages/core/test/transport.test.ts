// A Redis the application does not own: querycache through TLS (rediss://, a CA of the test's
// own) and as an ACL user allowed only its namespace's keys and channels. Each test runs an own
// redis-server on a spare port.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import KeyvRedis, { createClient } from '@keyv/redis'
import { freePort, OwnRedis } from '@querycache/testing/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { createQueryCache, type QueryCache } from '../src/index.js'

const servers: OwnRedis[] = []
const dirs: string[] = []
afterAll(async () => {
  for (const s of servers) await s.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function ownRedis(extraArgs: string[] = [], port?: number): Promise<OwnRedis> {
  const redis = new OwnRedis(port ?? (await freePort()), extraArgs)
  servers.push(redis)
  await redis.start()
  return redis
}

/** Every operation a user makes, each checked: reads hit, writes invalidate, nothing errors. */
async function exercise(cache: QueryCache, peer: QueryCache): Promise<void> {
  let version = 1
  const load = async () => ({ version })
  expect(await cache.getOrSet('post:1', load, { models: ['Post'], tags: ['home'] })).toEqual({
    version: 1,
  })
  expect(await cache.getOrSet('post:1', load, { models: ['Post'], tags: ['home'] })).toEqual({
    version: 1,
  })
  expect(cache.stats().hits).toBe(1)
  // the peer reads it from Redis, then keeps it in its near cache
  expect(await peer.get('post:1')).toEqual({ version: 1 })
  version = 2
  await cache.invalidateModel('Post')
  expect(await cache.getOrSet('post:1', load, { models: ['Post'] })).toEqual({ version: 2 })
  // the peer heard the invalidation through the channel
  await expect.poll(() => peer.get('post:1'), { timeout: 3000 }).toEqual({ version: 2 })
  await cache.set('list:a', [1], { tags: ['home'] })
  await cache.invalidateTags(['home'])
  expect(await cache.get('list:a')).toBeUndefined()
  await cache.set('page:b', [2])
  expect(await cache.deletePattern('page:*')).toBe(1)
  expect(await cache.get('page:b')).toBeUndefined()
  await cache.set('other', 'x')
  await cache.delete('other')
  expect(await cache.get('other')).toBeUndefined()
  await cache.set('kept', 'y')
  await cache.clear()
  expect(await cache.get('kept')).toBeUndefined()
  await expect.poll(() => peer.get('post:1'), { timeout: 3000 }).toBeUndefined()
}

function certificates(): { ca: Buffer; cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'qc-tls-'))
  dirs.push(dir)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=querycache test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  )
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  )
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
    '-out',
    'server.crt',
  )
  return {
    ca: readFileSync(join(dir, 'ca.crt')),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    dir,
  }
}

describe('TLS', () => {
  it('works through rediss:// with the CA, near cache included; without the CA it falls open', async () => {
    const tls = certificates()
    const port = await freePort()
    await ownRedis(
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        tls.cert,
        '--tls-key-file',
        tls.key,
        '--tls-ca-cert-file',
        join(tls.dir, 'ca.crt'),
        '--tls-auth-clients',
        'no',
      ],
      port,
    )
    const url = `rediss://127.0.0.1:${port}`
    const store = () =>
      new KeyvRedis<string>({ url, socket: { host: '127.0.0.1', port, tls: true, ca: tls.ca } })
    const errors: string[] = []
    const options = {
      namespace: 'tls',
      nearCache: true,
      onError: (e: { code: string }) => errors.push(e.code),
    }
    const cache = createQueryCache({ store: store(), ...options })
    const peer = createQueryCache({ store: store(), ...options })
    try {
      await exercise(cache, peer)
      expect(errors).toEqual([])
    } finally {
      await cache.close()
      await peer.close()
    }
    // a client that does not trust the server's certificate: every read falls back to the query
    const untrusting = createQueryCache({
      store: new KeyvRedis<string>({
        url,
        socket: { host: '127.0.0.1', port, tls: true, reconnectStrategy: false },
      }),
      namespace: 'tls',
      onError: (e) => errors.push(e.code),
    })
    try {
      expect(await untrusting.getOrSet('q', async () => 'from the database')).toBe(
        'from the database',
      )
      expect(errors.length).toBeGreaterThan(0)
      expect(untrusting.stats().hits).toBe(0)
    } finally {
      await untrusting.close()
    }
  })
})

describe('ACL', () => {
  // the least privilege querycache needs: its namespace's keys and channels, and these commands
  const ACL = [
    'on',
    '>s3cret',
    'resetkeys',
    '~app:*',
    'resetchannels',
    '&app:*',
    '-@all',
    '+mget',
    '+set',
    '+unlink',
    '+scan',
    '+multi',
    '+exec',
    '+publish',
    '+subscribe',
    '+unsubscribe',
    '+ping',
  ]

  it('every operation works as a user limited to its namespace, and nothing else is allowed', async () => {
    const redis = await ownRedis()
    const admin = createClient({ url: redis.url })
    await admin.connect()
    await admin.sendCommand(['ACL', 'SETUSER', 'app', ...ACL])
    await admin.set('billing:invoice', 'untouched')
    const url = `redis://app:s3cret@127.0.0.1:${redis.port}`
    const errors: string[] = []
    const options = {
      namespace: 'app',
      nearCache: true,
      onError: (e: { code: string; message: string }) => errors.push(`${e.code}: ${e.message}`),
    }
    const cache = createQueryCache({ store: new KeyvRedis<string>(url), ...options })
    const peer = createQueryCache({ store: new KeyvRedis<string>(url), ...options })
    try {
      await exercise(cache, peer)
      expect(errors).toEqual([])
      expect(await admin.sendCommand(['ACL', 'LOG'])).toEqual([])
      // the limit is real: the same user cannot read or write another namespace's keys
      const app = createClient({ url })
      await app.connect()
      await expect(app.get('app:anything')).rejects.toThrow(/NOPERM/)
      await expect(app.sendCommand(['SET', 'billing:invoice', 'x'])).rejects.toThrow(/NOPERM/)
      await app.quit()
      expect(await admin.get('billing:invoice')).toBe('untouched')
      // clear() scanned every key but removed only its own
      expect(await admin.keys('*')).toEqual(expect.arrayContaining(['billing:invoice']))
    } finally {
      await cache.close()
      await peer.close()
      await admin.quit()
    }
  })
})
