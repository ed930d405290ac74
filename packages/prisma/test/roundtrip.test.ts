import { Prisma } from '@querycache/schema'
import { describe, expect, test } from 'vitest'
import { openBlog, PROVIDERS, redisAdapter, uniqueNamespace } from './support/fixtures.js'

const STORES = ['memory', 'redis'] as const

describe.each(PROVIDERS)('%s', (provider) => {
  test.each(STORES)('every field type comes back as the same JS type through %s', async (store) => {
    const { prisma, base, cache } = await openBlog(provider, {
      cache:
        store === 'redis' ? { store: redisAdapter(), namespace: uniqueNamespace('roundtrip') } : {},
    })
    const metadata = [
      { nested: { list: [1, 'two', null, true], $qc: ['d', 'not a tag'] } },
      [1, 2.5, 'x'],
      'just a string',
      42,
      Prisma.JsonNull,
    ]
    for (const [i, m] of metadata.entries()) {
      await base.post.create({
        data: {
          title: `typed ${i}`,
          views: 9_007_199_254_740_993n,
          rating: new Prisma.Decimal('12345678.90123456'),
          score: 0.1 + 0.2,
          metadata: m,
          createdAt: new Date('2024-02-29T23:59:59.999Z'),
          author: { connect: { id: 1 } },
        },
      })
    }
    await base.profile.update({
      where: { userId: 1 },
      data: { avatar: new Uint8Array([0, 1, 254, 255]) },
    })
    const read = () =>
      prisma.post.findMany({
        where: { title: { startsWith: 'typed' } },
        include: { author: { include: { profile: true } } },
        orderBy: { id: 'asc' },
      })
    const miss = await read()
    const hit = await read()
    expect(cache.stats().hits).toBe(1)
    const truth = await base.post.findMany({
      where: { title: { startsWith: 'typed' } },
      include: { author: { include: { profile: true } } },
      orderBy: { id: 'asc' },
    })
    for (const result of [miss, hit]) {
      expect(result).toEqual(truth)
      const p = result[0]!
      expect(p.views).toBe(9_007_199_254_740_993n)
      // the class the plain client's results carry (a Prisma 6 client generated into a custom
      // output has a runtime, and so a Decimal, of its own)
      expect(p.rating).toBeInstanceOf(truth[0]!.rating.constructor)
      expect(Prisma.Decimal.isDecimal(p.rating)).toBe(true)
      expect(p.rating.toString()).toBe(truth[0]!.rating.toString())
      expect(p.createdAt).toBeInstanceOf(Date)
      expect(p.createdAt.toISOString()).toBe('2024-02-29T23:59:59.999Z')
      expect(p.author?.role).toBe('ADMIN')
      expect(p.author?.profile?.avatar).toBeInstanceOf(Uint8Array)
      expect([...p.author!.profile!.avatar!]).toEqual([0, 1, 254, 255])
      expect(result.map((r) => r.metadata)).toEqual(truth.map((r) => r.metadata))
      expect(result[4]!.metadata).toBeNull()
    }
    // a returned value is the caller's own: changing it changes nothing cached
    hit[0]!.title = 'mutated'
    hit[0]!.rating = new Prisma.Decimal(0)
    expect((await read())[0]!.title).toBe('typed 0')
    await cache.close()
  })

  test('aggregate results keep Decimal and BigInt', async () => {
    const { prisma, base } = await openBlog(provider)
    const args = { _sum: { views: true, rating: true }, _max: { createdAt: true } } as const
    const read = () => prisma.post.aggregate(args)
    await read()
    const hit = await read()
    const truth = await base.post.aggregate(args)
    expect(hit._sum.views).toBe(10n)
    expect(hit._sum.rating).toBeInstanceOf(truth._sum.rating!.constructor)
    expect(hit._max.createdAt).toBeInstanceOf(Date)
  })
})
