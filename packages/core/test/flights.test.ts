// Single-flight joins must never hand a read that started after a write the result of a query
// that began before it — also when the store cannot tell (read failed).
import { expect, it } from 'vitest'
import { createQueryCache, defineStore } from '../src/index.js'

it('a read whose store read fails does not join an older in-flight query', async () => {
  const shared = new Map<string, string>()
  let failNextRead = false
  const remote = () =>
    defineStore({
      name: 'flaky',
      async get(key) {
        return shared.get(key)
      },
      async getMany(keys) {
        if (failNextRead) {
          failNextRead = false
          throw new Error('ECONNRESET')
        }
        return keys.map((k) => shared.get(k))
      },
      async set(key, value) {
        shared.set(key, value)
      },
      async deleteMany(keys) {
        for (const k of keys) shared.delete(k)
      },
    })
  const writer = createQueryCache({ store: remote() })
  const reader = createQueryCache({ store: remote() })
  let row = 'old'
  await reader.getOrSet('q', async () => row, { models: ['Post'] })
  await writer.invalidateModels(['Post'])
  // a slow read in the reader's process loads the row before the write
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const slow = reader.getOrSet(
    'q',
    async () => {
      const seen = row
      await gate
      return seen
    },
    { models: ['Post'] },
  )
  await new Promise((r) => setTimeout(r, 20))
  // another process writes and invalidates; its write has resolved
  row = 'new'
  await writer.invalidateModels(['Post'])
  failNextRead = true
  const late = reader.getOrSet('q', async () => row, { models: ['Post'] })
  setTimeout(release, 20)
  expect(await late).toBe('new')
  expect(await slow).toBe('old')
  expect(reader.stats().errors).toBe(1)
})
