// The adapter kit: the protocol both adapters share, tested once here (the adapters' own suites
// test it end to end against real databases).
import { describe, expect, it } from 'vitest'
import {
  ANY_TABLE,
  checkCallOptions,
  Dependencies,
  explainRead,
  Invalidator,
  RelationGraph,
  rawWriteEffect,
  readThrough,
  ScopedKeys,
  TransactionWrites,
  UNKNOWN_READS,
} from '../src/adapter/index.js'
import { CacheOptionError, createQueryCache } from '../src/index.js'

// users ← posts (ON DELETE CASCADE) ← comments (ON DELETE SET NULL); audit declared from posts
function blog() {
  const graph = new RelationGraph()
  graph.addForeignKey({
    holder: 'posts',
    referenced: 'users',
    onDelete: 'cascade',
    onUpdate: 'no action',
  })
  graph.addForeignKey({
    holder: 'comments',
    referenced: 'posts',
    onDelete: 'set null',
    onUpdate: 'restrict',
  })
  graph.addDependency('posts', 'audit')
  return { graph, deps: new Dependencies(graph) }
}

describe('Dependencies', () => {
  it('a read depends on its tables, the deletion tokens of what cascades into them, and *', () => {
    const { deps } = blog()
    expect(deps.read(['comments'])).toEqual([
      'comments',
      'posts:deleted',
      'users:deleted',
      ANY_TABLE,
    ])
    expect(deps.read(['audit'], { uncertain: true })).toEqual([
      'audit',
      'posts',
      UNKNOWN_READS,
      ANY_TABLE,
    ])
  })

  it('a read again gets the same frozen array, and a new one once the graph changes', () => {
    const { graph, deps } = blog()
    const first = deps.read(['audit'])
    expect(deps.read(['audit'])).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(deps.read(['audit'], { uncertain: true })).not.toBe(first)
    graph.addForeignKey({
      holder: 'audit',
      referenced: 'users',
      onDelete: 'cascade',
      onUpdate: 'no action',
    })
    expect(deps.read(['audit'])).toEqual(['audit', 'posts', 'users:deleted', ANY_TABLE])
  })

  it('what $explain and onInfo hand out is the caller’s own list, not the shared one', async () => {
    const { deps } = blog()
    const shared = deps.read(['posts'])
    const explained = explainRead({ request: { key: 'k', dependencies: shared, tags: [] } })
    ;(explained.dependencies as string[]).push('mine')
    const cache = createQueryCache({ namespace: 'own-lists' })
    let told: string[] = []
    await readThrough(
      cache,
      {
        key: 'k',
        dependencies: shared,
        onInfo: (i) => {
          told = i.dependencies as string[]
        },
      },
      async () => 1,
    )
    told.push('mine too')
    // pushing onto the shared (frozen) list would have thrown; neither list reached it
    expect(shared).not.toContain('mine')
    expect(shared).not.toContain('mine too')
    await cache.close()
  })

  it('an insert invalidates its table and what is declared from it, not deletion tokens', () => {
    const { deps } = blog()
    expect(deps.write({ written: ['posts'] }).sort()).toEqual(
      ['audit', 'posts', UNKNOWN_READS].sort(),
    )
  })

  it('a delete follows ON DELETE actions transitively and invalidates their deletion tokens', () => {
    const { deps } = blog()
    expect(deps.write({ deleted: ['users'] }).sort()).toEqual(
      [
        'users',
        'posts',
        'comments',
        'audit',
        'users:deleted',
        'posts:deleted',
        'comments:deleted',
        // a declared dependency says "also changes", not how: it inherits the delete
        'audit:deleted',
        UNKNOWN_READS,
      ].sort(),
    )
  })

  it('a key change follows only ON UPDATE actions; TRUNCATE CASCADE empties every referencing table', () => {
    const { deps } = blog()
    expect(deps.write({ keyChanged: ['users'] }).sort()).toEqual(
      ['users', 'users:deleted', UNKNOWN_READS].sort(),
    )
    expect(deps.write({ emptied: ['users'] })).toEqual(
      expect.arrayContaining(['comments', 'comments:deleted']),
    )
  })

  it('a write whose effect cannot be told invalidates every read', () => {
    expect(blog().deps.write(undefined)).toEqual([ANY_TABLE, UNKNOWN_READS])
  })
})

describe('rawWriteEffect: one rule for raw SQL', () => {
  const known = (id: string) => (['posts', 'users'].includes(id) ? [id] : undefined)
  it('read-only SQL changes nothing; a write to known tables changes them, keys and rows alike', () => {
    expect(rawWriteEffect('SELECT * FROM posts', known)).toBeNull()
    const effect = rawWriteEffect("UPDATE posts SET title = 'delete from users'", known)
    expect([...(effect?.written ?? [])]).toEqual(['posts'])
    expect([...(effect?.deleted ?? [])]).toEqual(['posts'])
  })
  it('a write it cannot place, or to a table it cannot vouch for, changes everything', () => {
    expect(rawWriteEffect('DELETE FROM elsewhere', known)).toBeUndefined()
    expect(rawWriteEffect('CALL reset_everything()', known)).toBeUndefined()
    expect(rawWriteEffect('DO $$ BEGIN END $$', known)).toBeUndefined()
  })
})

describe('Invalidator: a write that may have committed invalidates', () => {
  async function setup() {
    const cache = createQueryCache()
    const invalidator = new Invalidator(cache, new Dependencies(new RelationGraph()))
    const cached = () => cache.getOrSet('q', async () => Math.random(), { models: ['posts'] })
    return { cache, invalidator, cached }
  }

  it('a failed write still invalidates before it rejects', async () => {
    const { invalidator, cached } = await setup()
    const before = await cached()
    await expect(
      invalidator.write(() => Promise.reject(new Error('reply lost')), { written: ['posts'] }),
    ).rejects.toThrow('reply lost')
    expect(await cached()).not.toBe(before)
  })

  it('a transaction whose callback threw invalidates nothing; a failed COMMIT does', async () => {
    const { invalidator, cached } = await setup()
    const before = await cached()
    const tx = (commitFails: boolean, callbackThrows: boolean) =>
      invalidator.transaction(async (writes) => {
        const callback = writes.callback(async () => {
          await invalidator.write(async () => 1, { written: ['posts'] }, writes)
          if (callbackThrows) throw new Error('rollback')
        })
        await callback()
        if (commitFails) throw new Error('commit failed')
      })
    await expect(tx(false, true)).rejects.toThrow('rollback')
    expect(await cached()).toBe(before)
    await expect(tx(true, false)).rejects.toThrow('commit failed')
    expect(await cached()).not.toBe(before)
  })

  it('queues writes of a transaction until it ends', async () => {
    const { invalidator, cached } = await setup()
    const before = await cached()
    const writes = new TransactionWrites()
    await invalidator.write(async () => 1, { written: ['posts'] }, writes)
    expect(await cached()).toBe(before)
    await invalidator.transaction(async () => {}, writes)
    expect(await cached()).not.toBe(before)
  })
})

describe('ScopedKeys and checkCallOptions', () => {
  it('scopes never share a key', () => {
    let tenant: string | undefined = 'a'
    const keys = new ScopedKeys(() => tenant)
    const a = keys.query({ sql: 'x' }, keys.forRead()!.scope)
    tenant = 'b'
    expect(keys.query({ sql: 'x' }, keys.forRead()!.scope)).not.toBe(a)
    // no scope from a scope function: bypass, unless shared on purpose
    tenant = undefined
    expect(keys.forRead()).toBeUndefined()
    expect(new ScopedKeys(() => undefined, 'shared').forRead()).toEqual({ scope: undefined })
    expect(new ScopedKeys(undefined).forRead()).toEqual({ scope: undefined })
    expect(keys.custom('mine', 'b')).toBe('mine@b')
    expect(() => keys.custom('mine@a', 'b')).toThrow(CacheOptionError)
    expect(new ScopedKeys(undefined).custom('mine@a', undefined)).toBe('mine@a')
  })

  it('a bad per-call option names the option', () => {
    expect(checkCallOptions(false, 'cache')).toBe(false)
    expect(checkCallOptions({ ttl: 5, tags: ['t'] }, 'cache')).toEqual({ ttl: 5, tags: ['t'] })
    expect(() => checkCallOptions('yes', 'cache')).toThrow(/cache option: expected/)
    expect(() => checkCallOptions({ ttl: 0 }, 'cache')).toThrow(/cache\.ttl/)
    expect(() => checkCallOptions({ tags: [''] }, 'cache')).toThrow(/cache\.tags/)
    expect(() => checkCallOptions({ key: '' }, 'cache')).toThrow(/cache\.key/)
  })
})

describe('getOrSet options', () => {
  it('a models array changed in place since its last read is read as it is now', async () => {
    const cache = createQueryCache({ namespace: 'models-in-place' })
    let runs = 0
    const fn = async () => ++runs
    const models = ['A']
    expect(await cache.getOrSet('a', fn, { models })).toBe(1)
    models[0] = 'B'
    expect(await cache.getOrSet('b', fn, { models })).toBe(2)
    await cache.flush()
    await cache.invalidateModels(['B'])
    expect(await cache.getOrSet('a', fn, { models: ['A'] })).toBe(1) // still cached: depends on A
    expect(await cache.getOrSet('b', fn, { models })).toBe(3) // depended on B: invalidated
    await cache.close()
  })
})
