import { eq, getTableName, inArray, is, sql, Table } from 'drizzle-orm'
import { Cache } from 'drizzle-orm/cache/core'
import type { CacheConfig } from 'drizzle-orm/cache/core/types'
import { describe, expect, it } from 'vitest'
import { kinds, useDatabase } from './support/setup.js'

/** The minimal Drizzle cache from Drizzle's docs: a Map, strategy 'all', table-based invalidation. */
class MapCache extends Cache {
  private readonly data = new Map<string, unknown>()
  private readonly byTable = new Map<string, Set<string>>()
  override strategy() {
    return 'all' as const
  }
  override async get(key: string) {
    return this.data.get(key) as any[] | undefined
  }
  override async put(
    key: string,
    response: unknown,
    tables: string[],
    _isTag: boolean,
    _config?: CacheConfig,
  ) {
    this.data.set(key, response)
    for (const t of tables) {
      const keys = this.byTable.get(t) ?? new Set()
      keys.add(key)
      this.byTable.set(t, keys)
    }
  }
  override async onMutate(params: { tags?: string | string[]; tables?: any }) {
    const tables = [params.tables ?? []].flat()
    for (const t of tables) {
      const name = typeof t === 'string' ? t : is(t, Table) ? getTableName(t) : String(t)
      for (const key of this.byTable.get(name) ?? []) this.data.delete(key)
      this.byTable.delete(name)
    }
    for (const tag of [params.tags ?? []].flat()) this.data.delete(tag)
  }
}

describe.each(kinds)("Drizzle's built-in cache vs querycache (%s)", (kind) => {
  const ctx = useDatabase(kind)

  const authorsWithPosts = (db: any) => {
    const { users, posts } = ctx.h.t
    return db
      .select({ name: users.name })
      .from(users)
      .where(inArray(users.id, db.select({ id: posts.authorId }).from(posts)))
      .orderBy(users.id)
  }

  it('a table read only inside a subquery in where', async () => {
    const builtin = ctx.h.drizzle({ cache: new MapCache() })
    const { posts } = ctx.h.t
    expect(await authorsWithPosts(builtin)).toEqual([{ name: 'alice' }])
    expect(await authorsWithPosts(ctx.db)).toEqual([{ name: 'alice' }])
    await builtin.insert(posts).values({ authorId: 2, title: 'by bob' })
    // Drizzle only tracked `users` (the FROM table): stale
    expect(await authorsWithPosts(builtin)).toEqual([{ name: 'alice' }])
    // querycache depends on posts too
    await ctx.h.exec('delete from posts where author_id = 2')
    expect(await authorsWithPosts(ctx.db)).toEqual([{ name: 'alice' }])
    await ctx.db.insert(posts).values({ authorId: 2, title: 'by bob' })
    expect(await authorsWithPosts(ctx.db)).toEqual([{ name: 'alice' }, { name: 'bob' }])
  })

  it('a write through raw SQL', async () => {
    const builtin = ctx.h.drizzle({ cache: new MapCache() })
    const { users } = ctx.h.t
    const names = (db: any) => db.select({ name: users.name }).from(users).where(eq(users.id, 2))
    const rename = (db: any) =>
      kind === 'pg'
        ? db.execute(sql`update users set name = 'robert' where id = 2`)
        : db.run(sql`update users set name = 'robert' where id = 2`)
    expect(await names(builtin)).toEqual([{ name: 'bob' }])
    await rename(builtin)
    expect(await names(builtin)).toEqual([{ name: 'bob' }]) // stale
    await ctx.h.exec(`update users set name = 'bob' where id = 2`)
    expect(await names(ctx.db)).toEqual([{ name: 'bob' }])
    await rename(ctx.db)
    expect(await names(ctx.db)).toEqual([{ name: 'robert' }]) // fresh
  })
})
