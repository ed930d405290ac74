// Not part of the example: creates ./blog.db with the blog schema and a few rows, so the
// quickstart runs on a fresh clone. In your app, `prisma migrate` does this.
import { rmSync } from 'node:fs'
import { createSqliteDatabase, seedBlog } from '@querycache/schema'

rmSync('blog.db', { force: true })
await seedBlog(await createSqliteDatabase('blog.db'), { users: 20, posts: 100, comments: 200 })
