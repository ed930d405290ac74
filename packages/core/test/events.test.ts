import { expect, test } from 'vitest'
import { CacheOptionError, createQueryCache, type InvalidationEvent } from '../src/index.js'

test('onInvalidate reports each model and tag invalidation after it was issued', async () => {
  const events: InvalidationEvent[] = []
  const cache = createQueryCache({ onInvalidate: (e) => events.push(e) })
  await cache.getOrSet('k', () => 1, { models: ['Post'] })
  await cache.invalidateModels(['Post', 'Comment'])
  await cache.invalidateTags(['home'])
  await cache.invalidateModels([])
  expect(events).toEqual([
    { models: ['Post', 'Comment'], tags: [] },
    { models: [], tags: ['home'] },
  ])
  expect(await cache.get('k')).toBeUndefined()
})

test('a throwing onInvalidate listener does not fail the invalidation', async () => {
  const cache = createQueryCache({
    onInvalidate: () => {
      throw new Error('listener bug')
    },
  })
  await cache.set('k', 1, { models: ['Post'] })
  await expect(cache.invalidateModel('Post')).resolves.toBeUndefined()
  expect(await cache.get('k')).toBeUndefined()
  expect(() => createQueryCache({ onInvalidate: 'x' as never })).toThrow(CacheOptionError)
})
