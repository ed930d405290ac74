// The schema graph is read from the client; these cover schema shapes the blog schema lacks.
import { describe, expect, test } from 'vitest'
import { readDependencies } from '../src/dependencies.js'
import { SchemaGraph } from '../src/schema.js'

const dataModel = {
  models: {
    Author: {
      dbName: null,
      fields: [
        { name: 'id', kind: 'scalar', type: 'Int' },
        { name: 'books', kind: 'object', type: 'Book', relationName: 'AuthorToBook' },
      ],
    },
    Book: {
      dbName: 'books',
      fields: [
        { name: 'authorId', kind: 'scalar', type: 'Int' },
        { name: 'author', kind: 'object', type: 'Author', relationName: 'AuthorToBook' },
      ],
    },
    Shelf: { dbName: null, fields: [{ name: 'id', kind: 'scalar', type: 'Int' }] },
    BookStats: { dbName: null, fields: [{ name: 'n', kind: 'scalar', type: 'Int' }] },
  },
}
const schema = `
model Author {
  id    Int    @id
  books Book[]
}
model Book {
  authorId Int
  author   Author @relation(fields: [authorId], references: [id])
}
model Shelf {
  id Int @id
}
view BookStats {
  n Int @unique
}
`

describe('SchemaGraph', () => {
  test('a required relation without onDelete restricts (Prisma default); onUpdate cascades', () => {
    const graph = new SchemaGraph(dataModel, schema)
    expect(graph.relations.affectedBy('Author', 'delete')).toEqual(['Author'])
    expect(graph.relations.affectedBy('Author', 'update')).toEqual(['Author', 'Book'])
    expect(graph.relations.referencing('Author')).toEqual(['Author', 'Book'])
  })

  test('a read of a view depends on every model (its query is not in the schema)', () => {
    const graph = new SchemaGraph(dataModel, schema)
    expect(readDependencies(graph, 'BookStats', {}).sort()).toEqual([
      'Author',
      'Book',
      'BookStats',
      'Shelf',
    ])
    expect(readDependencies(graph, 'Shelf', {})).toEqual(['Shelf'])
  })

  test('tables are named as every adapter names them: @@schema, provider folding, deletions upstream', () => {
    const multi = {
      models: {
        ...dataModel.models,
        Book: { ...dataModel.models.Book, schema: 'library' },
      },
    }
    const pg = new SchemaGraph(multi, schema, 'postgresql')
    expect(pg.dependencies.read(['Book'])).toEqual(['Book', 'library.books', 'Author:deleted', '*'])
    const sqlite = new SchemaGraph(dataModel, schema, 'sqlite')
    expect(sqlite.dependencies.read(['Author'])).toEqual(['Author', 'author', '*'])
    expect(sqlite.dependencies.write({ written: ['Author'] })).toEqual([
      'Author',
      'author',
      '*unknown',
    ])
    expect(sqlite.dependencies.write({ written: ['Author'], deleted: ['Author'] })).toContain(
      'author:deleted',
    )
  })

  test('without the schema text every relation is assumed to cascade both ways', () => {
    const graph = new SchemaGraph(dataModel, undefined)
    expect(graph.knowsReferentialActions).toBe(false)
    expect(graph.relations.affectedBy('Author', 'delete').sort()).toEqual(['Author', 'Book'])
    expect(graph.relations.affectedBy('Book', 'delete').sort()).toEqual(['Author', 'Book'])
  })
})
