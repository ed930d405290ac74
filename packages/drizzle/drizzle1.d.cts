// CommonJS types of `@querycache/drizzle/drizzle1`: the API, with drizzle1.d.ts's typing of
// `$withCache` for Drizzle 1.0 (a type-only import, which CommonJS may make of an ES module).
import type {} from './drizzle1.js'

export * from './dist/api.cjs'
