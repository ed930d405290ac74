// Compile-time guarantees, checked by `tsc --noEmit` (part of this package's test script):
// the cache option is typed on every read and a result's type is exactly Prisma's.
import type { Decimal } from '@prisma/client/runtime/client'
import type { QueryCache } from '@querycache/core'
import type { BlogClient } from '@querycache/schema'
import { describe, expectTypeOf, test } from 'vitest'
import type { CachedClient } from './support/fixtures.js'

declare const base: BlogClient
declare const prisma: CachedClient

describe('types', () => {
  test('results are exactly what the plain client returns', () => {
    const findMany = () => prisma.post.findMany({ include: { author: true }, cache: { ttl: 5 } })
    const plainFindMany = () => base.post.findMany({ include: { author: true } })
    expectTypeOf<Awaited<ReturnType<typeof findMany>>>().toEqualTypeOf<
      Awaited<ReturnType<typeof plainFindMany>>
    >()
    const select = () =>
      prisma.post.findUnique({
        where: { id: 1 },
        select: { views: true, rating: true },
        cache: false,
      })
    expectTypeOf<Awaited<ReturnType<typeof select>>>().toEqualTypeOf<{
      views: bigint
      rating: Decimal
    } | null>()
    const orThrow = () => prisma.user.findUniqueOrThrow({ where: { id: 1 }, cache: { key: 'u1' } })
    const plainOrThrow = () => base.user.findUniqueOrThrow({ where: { id: 1 } })
    expectTypeOf<Awaited<ReturnType<typeof orThrow>>>().toEqualTypeOf<
      Awaited<ReturnType<typeof plainOrThrow>>
    >()
    const count = () => prisma.comment.count({ where: { postId: 1 }, cache: { tags: ['c'] } })
    expectTypeOf<Awaited<ReturnType<typeof count>>>().toEqualTypeOf<number>()
    const aggregate = () => prisma.post.aggregate({ _sum: { views: true }, cache: { swr: 5 } })
    expectTypeOf<Awaited<ReturnType<typeof aggregate>>>().toEqualTypeOf<{
      _sum: { views: bigint | null }
    }>()
    const groupBy = () =>
      prisma.post.groupBy({ by: ['published'], _count: { _all: true }, cache: { ttl: null } })
    const plainGroupBy = () => base.post.groupBy({ by: ['published'], _count: { _all: true } })
    expectTypeOf<Awaited<ReturnType<typeof groupBy>>>().toEqualTypeOf<
      Awaited<ReturnType<typeof plainGroupBy>>
    >()
    expectTypeOf<Awaited<ReturnType<typeof groupBy>>[number]['_count']>().toEqualTypeOf<{
      _all: number
    }>()
    const first = () => prisma.post.findFirst({ cache: false })
    const plainFirst = () => base.post.findFirst()
    expectTypeOf<Awaited<ReturnType<typeof first>>>().toEqualTypeOf<
      Awaited<ReturnType<typeof plainFirst>>
    >()
    expectTypeOf<typeof prisma.$cache>().toEqualTypeOf<QueryCache>()
  })

  test('a wrong cache option does not compile', () => {
    const wrong = () => {
      // @ts-expect-error ttl is a number of seconds or null
      void prisma.post.findMany({ cache: { ttl: '60' } })
      // @ts-expect-error unknown option
      void prisma.post.findMany({ cache: { tll: 60 } })
      // @ts-expect-error cache is an object or false
      void prisma.post.findFirst({ cache: true })
      // @ts-expect-error tags are strings
      void prisma.post.count({ cache: { tags: [1] } })
      // @ts-expect-error writes take no cache option
      void prisma.post.create({ data: { title: 'x' }, cache: false })
      // @ts-expect-error Prisma's own argument checks still apply
      void prisma.post.findMany({ where: { nope: 1 }, cache: false })
    }
    expectTypeOf(wrong).toBeFunction()
  })
})
