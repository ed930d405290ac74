// The blog schema (../schema.prisma) as Drizzle tables for MySQL/MariaDB: same tables, same
// columns, created by the same SQL migrations.
import { relations, sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  customType,
  datetime,
  decimal,
  double,
  int,
  json,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  varchar,
} from 'drizzle-orm/mysql-core'

/** LONGBLOB as a Buffer. */
const longblob = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'longblob' })
const createdAt = (name: string) =>
  datetime(name, { mode: 'date', fsp: 3 }).notNull().default(sql`CURRENT_TIMESTAMP(3)`)

export const users = mysqlTable('users', {
  id: int('id').autoincrement().primaryKey(),
  email: varchar('email', { length: 191 }).notNull().unique(),
  name: varchar('name', { length: 191 }),
  role: mysqlEnum('role', ['READER', 'AUTHOR', 'ADMIN']).notNull().default('READER'),
  createdAt: createdAt('created_at'),
  invitedById: int('invited_by_id'),
})

export const profiles = mysqlTable('profiles', {
  id: int('id').autoincrement().primaryKey(),
  bio: varchar('bio', { length: 191 }).notNull(),
  avatar: longblob('avatar'),
  userId: int('user_id')
    .notNull()
    .unique()
    .references(() => users.id, { onDelete: 'cascade' }),
})

export const posts = mysqlTable('posts', {
  id: int('id').autoincrement().primaryKey(),
  title: varchar('title', { length: 191 }).notNull(),
  published: boolean('published').notNull().default(false),
  views: bigint('views', { mode: 'bigint' }).notNull().default(0n),
  rating: decimal('rating', { precision: 65, scale: 30 }).notNull().default('0'),
  score: double('score').notNull().default(0),
  metadata: json('metadata'),
  createdAt: createdAt('created_at'),
  authorId: int('author_id').references(() => users.id, { onDelete: 'set null' }),
})

export const comments = mysqlTable('comments', {
  id: int('id').autoincrement().primaryKey(),
  body: varchar('body', { length: 191 }).notNull(),
  createdAt: createdAt('created_at'),
  postId: int('post_id')
    .notNull()
    .references(() => posts.id, { onDelete: 'cascade' }),
  authorId: int('author_id').references(() => users.id, { onDelete: 'set null' }),
})

export const categories = mysqlTable('categories', {
  id: int('id').autoincrement().primaryKey(),
  name: varchar('name', { length: 191 }).notNull().unique(),
})

export const tags = mysqlTable('tags', {
  id: int('id').autoincrement().primaryKey(),
  name: varchar('name', { length: 191 }).notNull().unique(),
})

export const postTags = mysqlTable(
  'post_tags',
  {
    postId: int('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    tagId: int('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    assignedAt: createdAt('assigned_at'),
  },
  (t) => [primaryKey({ columns: [t.postId, t.tagId] })],
)

export const usersRelations = relations(users, ({ many, one }) => ({
  posts: many(posts),
  comments: many(comments),
  profile: one(profiles, { fields: [users.id], references: [profiles.userId] }),
}))
export const postsRelations = relations(posts, ({ one, many }) => ({
  author: one(users, { fields: [posts.authorId], references: [users.id] }),
  comments: many(comments),
  tags: many(postTags),
}))
export const commentsRelations = relations(comments, ({ one }) => ({
  post: one(posts, { fields: [comments.postId], references: [posts.id] }),
  author: one(users, { fields: [comments.authorId], references: [users.id] }),
}))
export const postTagsRelations = relations(postTags, ({ one }) => ({
  post: one(posts, { fields: [postTags.postId], references: [posts.id] }),
  tag: one(tags, { fields: [postTags.tagId], references: [tags.id] }),
}))
export const tagsRelations = relations(tags, ({ many }) => ({ posts: many(postTags) }))
