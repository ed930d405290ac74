import { describe, expect, test } from 'vitest'
import { openBlog, PROVIDERS } from './support/fixtures.js'

class Rollback extends Error {}

function step() {
  let done!: () => void
  const reached = new Promise<void>((resolve) => {
    done = resolve
  })
  return { reached, done }
}

describe.each(PROVIDERS)('%s', (provider) => {
  test('an interactive transaction that writes, reads its own write and rolls back leaves no trace', async () => {
    const { prisma, base, cache } = await openBlog(provider)
    const query = { where: { id: 1 }, include: { author: true } } as const
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.post.update({ where: { id: 1 }, data: { title: 'uncommitted' } })
        // its own write is visible inside, and must not be cached
        expect((await tx.post.findUnique(query))?.title).toBe('uncommitted')
        expect((await tx.post.findMany()).map((p) => p.title)).toContain('uncommitted')
        throw new Rollback()
      }),
    ).rejects.toBeInstanceOf(Rollback)
    expect(cache.stats().sets).toBe(0)
    expect(cache.stats().bypasses).toBe(2)
    // rolled back: nothing changed, so nothing was invalidated
    expect(cache.stats().invalidations).toBe(0)
    expect((await prisma.post.findUnique(query))?.title).toBe('Hello')
    expect(await prisma.post.findMany()).toEqual(await base.post.findMany())
  })

  test('committed writes are invalidated before $transaction resolves', async () => {
    const { prisma, base } = await openBlog(provider)
    const read = () => prisma.comment.findMany({ orderBy: { id: 'asc' } })
    await read()
    await prisma.$transaction(async (tx) => {
      // the cascade of a delete inside a transaction is queued too
      await tx.post.delete({ where: { id: 1 } })
      await tx.user.update({ where: { id: 2 }, data: { name: 'Robert' } })
    })
    expect(await read()).toEqual(await base.comment.findMany({ orderBy: { id: 'asc' } }))
    expect(await read()).toEqual([])
  })

  test('a read outside the transaction while it runs cannot re-cache rows the commit replaces', async () => {
    // invalidating at write time (inside the transaction) would be too early: this outside read
    // would store the still-committed old row under the new tokens
    const { prisma, base } = await openBlog(provider)
    const read = () => prisma.post.findUnique({ where: { id: 2 } })
    await read()
    let release!: () => void
    const wrote = new Promise<void>((resolve) => {
      release = resolve
    })
    let finish!: () => void
    const gate = new Promise<void>((resolve) => {
      finish = resolve
    })
    const tx = prisma.$transaction(async (t) => {
      await t.post.update({ where: { id: 2 }, data: { title: 'committed' } })
      release()
      await gate
    })
    await wrote
    if (provider !== 'sqlite') {
      // PostgreSQL and MySQL serve the old row to other connections until COMMIT
      await prisma.$cache.invalidateModel('Post')
      expect((await read())?.title).toBe('Draft')
    }
    finish()
    await tx
    expect((await read())?.title).toBe('committed')
    expect(await read()).toEqual(await base.post.findUnique({ where: { id: 2 } }))
  })

  // SQLite: the interactive transaction holds the database's single write lock, so another write
  // cannot commit while it is open
  test.skipIf(provider === 'sqlite')(
    'a write on the plain client inside a transaction callback is invalidated when it resolves',
    async () => {
      // it is not part of the transaction: it commits at once, so waiting for the transaction's end
      // would serve stale data in between
      const { prisma, base } = await openBlog(provider)
      const read = () => prisma.user.findUnique({ where: { id: 1 } })
      await read()
      // the reads below run outside the transaction callback, while it is still open
      const steps = [step(), step(), step()]
      const tx = prisma.$transaction(async (t) => {
        await t.tag.findMany()
        await prisma.user.update({ where: { id: 1 }, data: { name: 'renamed' } })
        steps[0]!.done()
        await steps[1]!.reached
        // a nested batch transaction commits on its own, too
        await prisma.$transaction([
          prisma.user.update({ where: { id: 1 }, data: { name: 'batched' } }),
        ])
        steps[2]!.done()
        await t.tag.create({ data: { name: 'in tx' } })
      })
      await steps[0]!.reached
      expect((await read())?.name).toBe('renamed')
      steps[1]!.done()
      await steps[2]!.reached
      expect((await read())?.name).toBe('batched')
      await tx
      expect(await read()).toEqual(await base.user.findUnique({ where: { id: 1 } }))
    },
  )

  test('batch $transaction: writes invalidated before it resolves, reads inside bypass', async () => {
    const { prisma, cache } = await openBlog(provider)
    expect(await prisma.tag.count()).toBe(1)
    const [, , count] = await prisma.$transaction([
      prisma.tag.create({ data: { name: 'b1' } }),
      prisma.post.update({ where: { id: 2 }, data: { tags: { create: { tagId: 1 } } } }),
      prisma.tag.count(),
    ])
    expect(count).toBe(2)
    expect(cache.stats().bypasses).toBe(1)
    expect(await prisma.tag.count()).toBe(2)
    expect(await prisma.postTag.count()).toBe(2)
  })

  test('a failed batch rolls back and caches nothing from inside it', async () => {
    const { prisma, cache } = await openBlog(provider)
    await expect(
      prisma.$transaction([
        prisma.tag.create({ data: { name: 'gone' } }),
        prisma.tag.findMany(),
        prisma.tag.create({ data: { name: 'intro' } }), // unique violation
      ]),
    ).rejects.toMatchObject({ code: 'P2002' })
    expect(cache.stats().sets).toBe(0)
    expect((await prisma.tag.findMany()).map((t) => t.name)).toEqual(['intro'])
  })

  test('the wrapping survives further $extends, and transaction options pass through', async () => {
    const { prisma, base } = await openBlog(provider)
    const more = prisma.$extends({
      result: {
        post: { shout: { needs: { title: true }, compute: (p) => p.title.toUpperCase() } },
      },
    })
    const read = () => more.post.findUnique({ where: { id: 1 } })
    expect((await read())?.shout).toBe('HELLO')
    await more.$transaction(
      async (tx) => {
        await tx.post.update({ where: { id: 1 }, data: { title: 'Bye' } })
      },
      { timeout: 10_000 },
    )
    expect((await read())?.shout).toBe('BYE')
    expect((await read())?.title).toBe((await base.post.findUnique({ where: { id: 1 } }))?.title)
  })
})
