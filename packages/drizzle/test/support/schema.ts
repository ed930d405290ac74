import { eq, relations } from 'drizzle-orm'
import {
  bigint,
  boolean,
  customType,
  jsonb,
  numeric,
  integer as pgInteger,
  pgTable,
  text as pgText,
  pgView,
  serial,
  timestamp,
} from 'drizzle-orm/pg-core'
import { blob, integer, sqliteTable, sqliteView, text } from 'drizzle-orm/sqlite-core'

// ── PostgreSQL ──────────────────────────────────────────────────────────────

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

export const pgUsers = pgTable('users', {
  id: serial('id').primaryKey(),
  name: pgText('name').notNull(),
  createdAt: timestamp('created_at', { mode: 'date', withTimezone: true }).notNull().defaultNow(),
})

export const pgPosts = pgTable('posts', {
  id: serial('id').primaryKey(),
  authorId: pgInteger('author_id')
    .notNull()
    .references(() => pgUsers.id, { onDelete: 'cascade' }),
  title: pgText('title').notNull(),
  published: boolean('published').notNull().default(false),
})

export const pgComments = pgTable('comments', {
  id: serial('id').primaryKey(),
  postId: pgInteger('post_id')
    .notNull()
    .references(() => pgPosts.id, { onDelete: 'cascade' }),
  body: pgText('body').notNull(),
})

export const pgAudit = pgTable('audit', {
  id: serial('id').primaryKey(),
  note: pgText('note').notNull(),
})

export const pgTyped = pgTable('typed', {
  id: serial('id').primaryKey(),
  at: timestamp('at', { mode: 'date', withTimezone: true }).notNull(),
  big: bigint('big', { mode: 'bigint' }).notNull(),
  amount: numeric('amount').notNull(),
  doc: jsonb('doc').$type<Record<string, unknown>>().notNull(),
  bytes: bytea('bytes').notNull(),
})

export const pgPublished = pgView('published_posts').as((qb) =>
  qb.select().from(pgPosts).where(eq(pgPosts.published, true)),
)

export const pgUsersRelations = relations(pgUsers, ({ many }) => ({ posts: many(pgPosts) }))
export const pgPostsRelations = relations(pgPosts, ({ one, many }) => ({
  author: one(pgUsers, { fields: [pgPosts.authorId], references: [pgUsers.id] }),
  comments: many(pgComments),
}))
export const pgCommentsRelations = relations(pgComments, ({ one }) => ({
  post: one(pgPosts, { fields: [pgComments.postId], references: [pgPosts.id] }),
}))

export const pgSchema = {
  users: pgUsers,
  posts: pgPosts,
  comments: pgComments,
  audit: pgAudit,
  typed: pgTyped,
  usersRelations: pgUsersRelations,
  postsRelations: pgPostsRelations,
  commentsRelations: pgCommentsRelations,
}

export const pgDdl = `
create table users (id serial primary key, name text not null, created_at timestamptz not null default now());
create table posts (id serial primary key, author_id integer not null references users(id) on delete cascade,
  title text not null, published boolean not null default false);
create table comments (id serial primary key, post_id integer not null references posts(id) on delete cascade,
  body text not null);
create table audit (id serial primary key, note text not null);
create table typed (id serial primary key, at timestamptz not null, big bigint not null, amount numeric not null,
  doc jsonb not null, bytes bytea not null);
create view published_posts as select * from posts where published = true;
create function audit_post() returns trigger language plpgsql as $$
begin insert into audit(note) values ('post ' || new.title); return new; end $$;
create trigger posts_audit after insert on posts for each row execute function audit_post();
`

// ── SQLite ──────────────────────────────────────────────────────────────────

export const sqUsers = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .$defaultFn(() => new Date()),
})

export const sqPosts = sqliteTable('posts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  authorId: integer('author_id')
    .notNull()
    .references(() => sqUsers.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  published: integer('published', { mode: 'boolean' }).notNull().default(false),
})

export const sqComments = sqliteTable('comments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  postId: integer('post_id')
    .notNull()
    .references(() => sqPosts.id, { onDelete: 'cascade' }),
  body: text('body').notNull(),
})

export const sqAudit = sqliteTable('audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  note: text('note').notNull(),
})

export const sqTyped = sqliteTable('typed', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  big: blob('big', { mode: 'bigint' }).notNull(),
  amount: text('amount').notNull(),
  doc: text('doc', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  bytes: blob('bytes', { mode: 'buffer' }).notNull(),
})

export const sqPublished = sqliteView('published_posts').as((qb) =>
  qb.select().from(sqPosts).where(eq(sqPosts.published, true)),
)

export const sqUsersRelations = relations(sqUsers, ({ many }) => ({ posts: many(sqPosts) }))
export const sqPostsRelations = relations(sqPosts, ({ one, many }) => ({
  author: one(sqUsers, { fields: [sqPosts.authorId], references: [sqUsers.id] }),
  comments: many(sqComments),
}))
export const sqCommentsRelations = relations(sqComments, ({ one }) => ({
  post: one(sqPosts, { fields: [sqComments.postId], references: [sqPosts.id] }),
}))

export const sqSchema = {
  users: sqUsers,
  posts: sqPosts,
  comments: sqComments,
  audit: sqAudit,
  typed: sqTyped,
  usersRelations: sqUsersRelations,
  postsRelations: sqPostsRelations,
  commentsRelations: sqCommentsRelations,
}

export const sqDdl = [
  `create table users (id integer primary key autoincrement, name text not null, created_at integer not null default (strftime('%s','now') * 1000))`,
  `create table posts (id integer primary key autoincrement, author_id integer not null references users(id) on delete cascade,
    title text not null, published integer not null default 0)`,
  `create table comments (id integer primary key autoincrement, post_id integer not null references posts(id) on delete cascade,
    body text not null)`,
  `create table audit (id integer primary key autoincrement, note text not null)`,
  `create table typed (id integer primary key autoincrement, at integer not null, big blob not null, amount text not null,
    doc text not null, bytes blob not null)`,
  `create view published_posts as select * from posts where published = 1`,
  `create trigger posts_audit after insert on posts begin insert into audit(note) values ('post ' || new.title); end`,
]
