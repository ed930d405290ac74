// The read–write–read cases of every dependency and invalidation path, shared by the suites that
// run them (each store, each database): read (cached), write through the path, read again — fresh.
import type { Blog } from './fixtures.js'

export type Client = Blog['prisma']
export type Case = [
  name: string,
  read: (c: Client) => Promise<unknown>,
  write: (b: Blog) => Promise<unknown>,
]

/** A table name quoted as the database's raw SQL quotes it ("t"; MySQL: `t`). */
export const quoted = (b: Blog, name: string) =>
  b.db.provider === 'mysql' ? `\`${name}\`` : `"${name}"`

// seeded ids: users Ada 1 (admin, profile 1), Bob 2 (invited by Ada); posts Hello 1 (Ada,
// published, category news 1, tag intro 1, comment 1 by Bob), Draft 2 (Bob); category tech 2

export const readDependencies: Case[] = [
  [
    'include of a related model (only the related model written)',
    (c) => c.post.findMany({ include: { author: true }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { name: 'Ada L.' } }),
  ],
  [
    'nested include two levels down',
    (c) =>
      c.user.findMany({
        include: { posts: { include: { comments: true } } },
        orderBy: { id: 'asc' },
      }),
    (b) => b.prisma.comment.create({ data: { body: 'Second', postId: 1 } }),
  ],
  [
    'nested select',
    (c) =>
      c.post.findMany({
        select: { title: true, author: { select: { name: true } } },
        orderBy: { id: 'asc' },
      }),
    (b) => b.prisma.user.update({ where: { id: 2 }, data: { name: 'Robert' } }),
  ],
  [
    'where: some',
    (c) =>
      c.user.findMany({ where: { posts: { some: { published: true } } }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.post.update({ where: { id: 2 }, data: { published: true } }),
  ],
  [
    'where: every',
    (c) =>
      c.user.findMany({
        where: { posts: { every: { published: false } } },
        orderBy: { id: 'asc' },
      }),
    (b) => b.prisma.post.update({ where: { id: 2 }, data: { published: true } }),
  ],
  [
    'where: none',
    (c) => c.user.findMany({ where: { comments: { none: {} } }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.comment.create({ data: { body: 'Me too', postId: 1, authorId: 1 } }),
  ],
  [
    'where: is (to-one)',
    (c) => c.post.findMany({ where: { author: { is: { name: 'Ada' } } } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { name: 'Ada L.' } }),
  ],
  [
    'where: isNot, nested in NOT/OR',
    (c) => c.post.findMany({ where: { OR: [{ NOT: { author: { isNot: { role: 'READER' } } } }] } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { role: 'READER' } }),
  ],
  [
    'where: to-one filter written directly, two relations deep',
    (c) => c.comment.findMany({ where: { post: { author: { name: 'Ada' } } } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { name: 'Ada L.' } }),
  ],
  [
    'orderBy a relation count',
    (c) => c.user.findFirst({ orderBy: [{ posts: { _count: 'desc' } }, { id: 'desc' }] }),
    (b) => b.prisma.post.create({ data: { title: 'Third', authorId: 1 } }),
  ],
  [
    'orderBy a related field',
    (c) => c.post.findFirst({ orderBy: [{ author: { name: 'asc' } }, { id: 'asc' }] }),
    (b) => b.prisma.user.update({ where: { id: 2 }, data: { name: 'Aaron' } }),
  ],
  [
    'select _count of a relation',
    (c) =>
      c.post.findMany({
        select: { id: true, _count: { select: { comments: true } } },
        orderBy: { id: 'asc' },
      }),
    (b) => b.prisma.comment.create({ data: { body: 'Another', postId: 2 } }),
  ],
  [
    'include _count: true',
    (c) => c.category.findMany({ include: { _count: true }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.post.update({ where: { id: 2 }, data: { categories: { connect: { id: 1 } } } }),
  ],
  [
    'include across the implicit many-to-many',
    (c) => c.category.findMany({ include: { posts: true }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.post.update({ where: { id: 1 }, data: { title: 'Hello again' } }),
  ],
  [
    'include across the explicit many-to-many',
    (c) => c.tag.findMany({ include: { posts: { include: { post: true } } } }),
    (b) => b.prisma.post.update({ where: { id: 1 }, data: { title: 'Hello again' } }),
  ],
  [
    'count with a relation filter',
    (c) => c.post.count({ where: { comments: { some: {} } } }),
    (b) => b.prisma.comment.create({ data: { body: 'First!', postId: 2 } }),
  ],
  [
    'aggregate',
    (c) => c.post.aggregate({ _sum: { views: true }, _avg: { rating: true } }),
    (b) => b.prisma.post.update({ where: { id: 2 }, data: { views: 5n, rating: '1.5' } }),
  ],
  [
    'groupBy with a relation filter',
    (c) =>
      c.post.groupBy({
        by: ['published'],
        where: { author: { role: 'ADMIN' } },
        _count: true,
        orderBy: { published: 'asc' },
      }),
    (b) => b.prisma.user.update({ where: { id: 2 }, data: { role: 'ADMIN' } }),
  ],
  [
    'self-relation include',
    (c) => c.user.findMany({ include: { invitees: true }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.create({ data: { email: 'cy@example.com', invitedById: 1 } }),
  ],
  [
    'findUnique with include of the 1-1',
    (c) => c.user.findUnique({ where: { id: 1 }, include: { profile: true } }),
    (b) => b.prisma.profile.update({ where: { userId: 1 }, data: { bio: 'Countess' } }),
  ],
]

export const writes: Case[] = [
  ['create', (c) => c.post.findMany(), (b) => b.prisma.post.create({ data: { title: 'New' } })],
  [
    'createMany',
    (c) => c.tag.findMany(),
    (b) => b.prisma.tag.createMany({ data: [{ name: 'a' }, { name: 'b' }] }),
  ],
  [
    'createManyAndReturn',
    (c) => c.tag.count(),
    (b) => b.prisma.tag.createManyAndReturn({ data: [{ name: 'a' }] }),
  ],
  [
    'update',
    (c) => c.post.findUnique({ where: { id: 1 } }),
    (b) => b.prisma.post.update({ where: { id: 1 }, data: { score: 2.5 } }),
  ],
  [
    'updateMany',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.post.updateMany({ data: { published: false } }),
  ],
  [
    'updateManyAndReturn',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.post.updateManyAndReturn({ where: { id: 2 }, data: { title: 'Final' } }),
  ],
  [
    'upsert (update branch)',
    (c) => c.category.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.category.upsert({
        where: { name: 'news' },
        create: { name: 'news' },
        update: { name: 'News' },
      }),
  ],
  [
    'upsert (create branch)',
    (c) => c.category.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.category.upsert({ where: { name: 'sport' }, create: { name: 'sport' }, update: {} }),
  ],
  ['delete', (c) => c.comment.findMany(), (b) => b.prisma.comment.delete({ where: { id: 1 } })],
  [
    'deleteMany',
    (c) => c.tag.findMany(),
    (b) => b.prisma.tag.deleteMany({ where: { name: 'intro' } }),
  ],
  // nested writes: the read depends only on the nested model
  [
    'nested create',
    (c) => c.post.findMany(),
    (b) =>
      b.prisma.user.update({ where: { id: 2 }, data: { posts: { create: { title: 'Nested' } } } }),
  ],
  [
    'nested createMany',
    (c) => c.post.count(),
    (b) =>
      b.prisma.user.update({
        where: { id: 2 },
        data: { posts: { createMany: { data: [{ title: 'x' }, { title: 'y' }] } } },
      }),
  ],
  [
    'nested create two levels deep',
    (c) => c.comment.count(),
    (b) =>
      b.prisma.user.create({
        data: {
          email: 'dee@example.com',
          posts: { create: { title: 'Deep', comments: { create: { body: 'deep' } } } },
        },
      }),
  ],
  [
    'nested connect (to-one, foreign key on the nested side)',
    (c) => c.profile.findMany(),
    (b) =>
      b.prisma.user.update({
        where: { id: 2 },
        data: { profile: { create: { bio: 'Bob here' } } },
      }),
  ],
  [
    'nested connect on a list',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { posts: { connect: { id: 2 } } } }),
  ],
  [
    'nested connectOrCreate',
    (c) => c.category.findMany(),
    (b) =>
      b.prisma.post.update({
        where: { id: 2 },
        data: {
          categories: { connectOrCreate: { where: { name: 'art' }, create: { name: 'art' } } },
        },
      }),
  ],
  [
    'nested disconnect (sets the foreign key to null)',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { posts: { disconnect: { id: 1 } } } }),
  ],
  [
    'nested set on a list',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.update({ where: { id: 2 }, data: { posts: { set: [{ id: 1 }] } } }),
  ],
  [
    'nested update',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.user.update({
        where: { id: 1 },
        data: { posts: { update: { where: { id: 1 }, data: { title: 'Renamed' } } } },
      }),
  ],
  [
    'nested update of a to-one',
    (c) => c.profile.findMany(),
    (b) =>
      b.prisma.user.update({ where: { id: 1 }, data: { profile: { update: { bio: 'Analyst' } } } }),
  ],
  [
    'nested updateMany',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.user.update({
        where: { id: 1 },
        data: { posts: { updateMany: { where: {}, data: { score: 9 } } } },
      }),
  ],
  [
    'nested upsert',
    (c) => c.profile.findMany(),
    (b) =>
      b.prisma.user.update({
        where: { id: 2 },
        data: { profile: { upsert: { create: { bio: 'new' }, update: { bio: 'upd' } } } },
      }),
  ],
  [
    'nested delete',
    (c) => c.profile.count(),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { profile: { delete: true } } }),
  ],
  [
    'nested deleteMany',
    (c) => c.post.count(),
    (b) => b.prisma.user.update({ where: { id: 2 }, data: { posts: { deleteMany: {} } } }),
  ],
  [
    'nested write through the explicit many-to-many to the far side',
    (c) => c.tag.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.post.update({
        where: { id: 2 },
        data: { tags: { create: { tag: { create: { name: 'fresh' } } } } },
      }),
  ],
  [
    'implicit many-to-many connect, read from the other side',
    (c) =>
      c.category.findMany({
        select: { name: true, _count: { select: { posts: true } } },
        orderBy: { id: 'asc' },
      }),
    (b) =>
      b.prisma.category.update({
        where: { id: 2 },
        data: { posts: { connect: [{ id: 1 }, { id: 2 }] } },
      }),
  ],
  // referential actions: the database changes models the write never names
  [
    'onDelete Cascade: deleting a post removes its comments',
    (c) => c.comment.findMany(),
    (b) => b.prisma.post.delete({ where: { id: 1 } }),
  ],
  [
    'onDelete Cascade: deleting a post removes its explicit m-n links',
    (c) => c.postTag.findMany(),
    (b) => b.prisma.post.deleteMany({ where: { id: 1 } }),
  ],
  [
    'onDelete Cascade: deleting a user removes the 1-1 profile',
    (c) => c.profile.findMany(),
    (b) => b.prisma.user.delete({ where: { id: 1 } }),
  ],
  [
    "onDelete SetNull: deleting a user nulls its posts' author",
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.user.delete({ where: { id: 2 } }),
  ],
  [
    'onDelete SetNull on the self-relation',
    (c) => c.user.findUnique({ where: { id: 2 } }),
    (b) => b.prisma.user.delete({ where: { id: 1 } }),
  ],
  [
    'transitively: a nested post delete cascades to comments',
    (c) => c.comment.count(),
    (b) => b.prisma.user.update({ where: { id: 1 }, data: { posts: { delete: { id: 1 } } } }),
  ],
  [
    'onUpdate Cascade: changing a referenced id moves its comments',
    (c) => c.comment.findMany(),
    (b) => b.prisma.post.update({ where: { id: 1 }, data: { id: 100 } }),
  ],
]

export const raw: Case[] = [
  [
    '$executeRaw on an @@map table',
    (c) => c.post.findMany({ orderBy: { id: 'asc' } }),
    (b) => b.prisma.$executeRaw`UPDATE posts SET title = ${'raw'} WHERE id = ${1}`,
  ],
  [
    '$executeRawUnsafe with a quoted, schema-less name',
    (c) => c.comment.findMany(),
    (b) => b.prisma.$executeRawUnsafe(`DELETE FROM ${quoted(b, 'comments')} WHERE id = 1`),
  ],
  [
    '$executeRaw delete cascades (referential actions of raw writes)',
    (c) => c.comment.count(),
    (b) => b.prisma.$executeRaw`DELETE FROM posts WHERE id = ${1}`,
  ],
  [
    '$executeRaw on the implicit many-to-many join table',
    (c) =>
      c.category.findMany({ include: { posts: { select: { id: true } } }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.$executeRawUnsafe(`DELETE FROM ${quoted(b, '_CategoryToPost')}`),
  ],
  [
    '$executeRaw on a table outside the data model (an updatable view) invalidates everything',
    (c) => c.tag.findMany(),
    async (b) => {
      await b.db.exec(
        b.db.provider === 'sqlite'
          ? `CREATE VIEW tag_names AS SELECT id, name FROM tags;
             CREATE TRIGGER tag_names_update INSTEAD OF UPDATE ON tag_names
             BEGIN UPDATE tags SET name = NEW.name WHERE id = OLD.id; END;`
          : 'CREATE VIEW tag_names AS SELECT id, name FROM tags',
      )
      return b.prisma.$executeRawUnsafe("UPDATE tag_names SET name = 'renamed'")
    },
  ],
  [
    'a write whose SQL holds keywords in string literals and comments',
    (c) => c.tag.findMany(),
    (b) =>
      b.prisma.$executeRawUnsafe(
        "/* delete from users */ UPDATE tags SET name = 'select * from users; update posts' WHERE id = 1",
      ),
  ],
  [
    '$queryRaw that writes',
    (c) => c.user.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.db.provider === 'mysql' // MySQL has no UPDATE … RETURNING
        ? b.prisma.$queryRaw`UPDATE users SET name = ${'Q'} WHERE id = ${1}`
        : b.prisma.$queryRaw`UPDATE users SET name = ${'Q'} WHERE id = ${1} RETURNING id`,
  ],
  [
    'a write after a comment holding an apostrophe (it must not open a literal)',
    (c) => c.tag.findMany(),
    (b) => b.prisma.$executeRawUnsafe("/* it's */ UPDATE tags SET name = 'renamed' WHERE id = 1"),
  ],
]

/** Prisma's *AndReturn methods, which it does not offer on MySQL. */
export const andReturn = new Set(['createManyAndReturn', 'updateManyAndReturn'])

// MySQL / MariaDB write forms (see core's sql.test.ts for the reader's table of them)
export const mysqlRaw: Case[] = [
  [
    'UPDATE IGNORE (a modifier, not the table)',
    (c) => c.tag.findMany(),
    (b) => b.prisma.$executeRawUnsafe("UPDATE IGNORE tags SET name = 'renamed' WHERE id = 1"),
  ],
  [
    'INSERT without INTO, with SET',
    (c) => c.tag.findMany(),
    (b) => b.prisma.$executeRawUnsafe("INSERT LOW_PRIORITY tags SET name = 'set'"),
  ],
  [
    'REPLACE INTO (a delete and an insert: the delete cascades to the join table)',
    (c) =>
      c.category.findMany({ include: { posts: { select: { id: true } } }, orderBy: { id: 'asc' } }),
    (b) => b.prisma.$executeRawUnsafe("REPLACE INTO categories (id, name) VALUES (1, 'replaced')"),
  ],
  [
    'INSERT … ON DUPLICATE KEY UPDATE',
    (c) => c.tag.findMany(),
    (b) =>
      b.prisma.$executeRawUnsafe(
        "INSERT INTO tags (name) VALUES ('intro') ON DUPLICATE KEY UPDATE name = 'intro2'",
      ),
  ],
  [
    'a table qualified with the current database',
    (c) => c.tag.findMany(),
    (b) =>
      b.prisma.$executeRawUnsafe(
        `UPDATE \`${new URL(b.db.url).pathname.slice(1)}\`.\`tags\` SET name = 'q' WHERE id = 1`,
      ),
  ],
  [
    'multi-table UPDATE (tables not named exactly: everything)',
    (c) => c.user.findMany({ orderBy: { id: 'asc' } }),
    (b) =>
      b.prisma.$executeRawUnsafe(
        "UPDATE posts p, users u SET p.title = 'x', u.name = 'y' WHERE p.author_id = u.id",
      ),
  ],
  [
    'multi-table DELETE',
    (c) => c.comment.count(),
    (b) =>
      b.prisma.$executeRawUnsafe(
        'DELETE c FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.id = 1',
      ),
  ],
  [
    'a write after a # comment holding an apostrophe',
    (c) => c.tag.findMany(),
    (b) => b.prisma.$executeRawUnsafe("# it's\nUPDATE tags SET name = 'hashed' WHERE id = 1"),
  ],
  [
    "a write in MySQL's executable comment",
    (c) => c.tag.findMany(),
    (b) => b.prisma.$executeRawUnsafe("/*! UPDATE tags SET name = 'bang' WHERE id = 1 */"),
  ],
]

export const postgresRaw: Case[] = [
  [
    'TRUNCATE of several tables, CASCADE reaching tables that reference them',
    (c) => c.comment.count(),
    (b) => b.prisma.$executeRawUnsafe('TRUNCATE TABLE ONLY tags, "public"."posts" CASCADE'),
  ],
  [
    '$executeRaw it cannot read (a procedure call) invalidates everything',
    (c) => c.tag.findMany(),
    async (b) => {
      await b.db.exec(
        `CREATE PROCEDURE rename_tags() LANGUAGE SQL AS $$ UPDATE tags SET name = 'renamed' $$`,
      )
      return b.prisma.$executeRawUnsafe('CALL rename_tags()')
    },
  ],
]
