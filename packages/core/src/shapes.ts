import type { Cloner } from './decoded.js'

/**
 * Copiers specialised to one decoded value's shape, for entries kept decoded (`keepDecoded`): a
 * hit hands out a copy on every read, and a generic deep copy walks every object's keys and adds
 * them one at a time. Query results are regular — rows of one shape, each field always the same
 * kind — so the copier for a kept value is compiled once from the value itself: one function per
 * position in the value, building each object as a literal with its keys in their order, copying
 * primitives directly and Dates by time. Anything irregular at a position (objects of different
 * keys, mixed kinds, Maps, bytes, class instances) is copied there by the generic cloner, so the
 * copy is always exactly the generic cloner's.
 *
 * The code depends only on the value's shape, never on its data (keys are JSON string literals),
 * so compiled copiers are shared by values of the same shape, and bounded in number.
 */
export class ShapeCopiers {
  private readonly compiled = new Map<string, Compiled>()
  private disabled = false

  constructor(
    /** The generic deep copy, which also decides what a registered codec type is. */
    private readonly generic: Cloner,
    /** Index of the registered codec type `value` is, or -1. */
    private readonly registeredIndex: (value: object) => number,
    /** The copy of a value of registered type `index`. */
    private readonly copyRegistered: (index: number, value: object) => unknown,
    private readonly maxCompiled = 256,
  ) {}

  /** A copier for `value` (which must never change afterwards), or the generic one. */
  for(value: unknown): Cloner {
    if (this.disabled || value === null || typeof value !== 'object') return this.generic
    const root = new Position()
    if (!this.observe(root, value, 0, { count: 0 })) return this.generic
    const code = new Writer(root).write()
    if (code === undefined) return this.generic
    let fn = this.compiled.get(code)
    if (fn === undefined) {
      try {
        fn = new Function('g', 'r', code)(this.generic, this.copyRegistered) as Compiled
      } catch {
        // no code generation here (e.g. a runtime that forbids it): the generic copy, always
        this.disabled = true
        return this.generic
      }
      if (this.compiled.size >= this.maxCompiled) {
        this.compiled.delete(this.compiled.keys().next().value!)
      }
      this.compiled.set(code, fn)
    } else {
      // most recently used last
      this.compiled.delete(code)
      this.compiled.set(code, fn)
    }
    return fn
  }

  /** Records what occurs at `p`; false when the value is too large or deep to specialise. */
  private observe(p: Position, value: unknown, depth: number, seen: { count: number }): boolean {
    if (++seen.count > MAX_VALUES || depth > MAX_DEPTH) return false
    if (value === null || typeof value !== 'object') {
      p.primitive = true
      return true
    }
    if (Array.isArray(value)) {
      if (!p.kind('array')) return true
      p.element ??= new Position()
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) {
          p.irregular = true
          return true
        }
        if (!this.observe(p.element, value[i], depth + 1, seen)) return false
      }
      return true
    }
    const proto = Object.getPrototypeOf(value)
    if (proto === Object.prototype) {
      // own keys: what for-in (the generic copy) visits on a plain object
      const keys = Object.keys(value)
      if (!p.kind('object')) return true
      // unambiguous: a join would make {} and {"": x} (or keys holding the separator) one shape
      const shape = JSON.stringify(keys)
      if (p.keys === undefined) {
        if (keys.includes('__proto__') || !plainEnumeration(value, keys)) {
          p.irregular = true
          return true
        }
        p.keys = keys
        p.shape = shape
        p.fields = keys.map(() => new Position())
      } else if (p.shape !== shape || !plainEnumeration(value, keys)) {
        p.irregular = true
        return true
      }
      const record = value as Record<string, unknown>
      for (let i = 0; i < keys.length; i++) {
        if (!this.observe(p.fields![i]!, record[keys[i]!], depth + 1, seen)) return false
      }
      return true
    }
    if (proto === null) {
      p.irregular = true
      return true
    }
    const registered = this.registeredIndex(value)
    if (registered >= 0) {
      if (p.kind('registered') && p.registered !== undefined && p.registered !== registered) {
        p.irregular = true
      }
      p.registered = registered
      return true
    }
    if (value instanceof Date) {
      p.kind('date')
      return true
    }
    p.irregular = true
    return true
  }
}

type Compiled = Cloner
type Kind = 'array' | 'object' | 'registered' | 'date'

/** Past these, a value is copied by the generic cloner (its copier would cost more to build). */
const MAX_VALUES = 50_000
const MAX_DEPTH = 64
const MAX_FUNCTIONS = 64

/** for-in on a plain object also visits inherited enumerable keys; only specialise when none. */
function plainEnumeration(value: object, keys: string[]): boolean {
  let n = 0
  for (const _ in value) n++
  return n === keys.length
}

/** What was seen at one place in the value: every array element shares one position. */
class Position {
  primitive = false
  irregular = false
  private seen: Kind | undefined
  element: Position | undefined
  keys: string[] | undefined
  shape: string | undefined
  fields: Position[] | undefined
  registered: number | undefined

  /** Records a non-primitive kind; false (and irregular) when another one was seen here. */
  kind(kind: Kind): boolean {
    if (this.seen === undefined) this.seen = kind
    else if (this.seen !== kind) this.irregular = true
    return !this.irregular
  }

  get only(): Kind | undefined {
    return this.irregular ? undefined : this.seen
  }
}

/** Writes the copier's code: `g` is the generic copy, `r(i, v)` a registered type's copy. */
class Writer {
  private readonly functions: string[] = []

  constructor(private readonly root: Position) {}

  write(): string | undefined {
    const top = this.expression(this.root, 'v')
    if (top === undefined) return undefined
    return `${this.functions.join('\n')}\nreturn function copy(v) { return ${top} }`
  }

  /** The copy of `input` (a plain identifier) at `p`; undefined when too many functions. */
  private expression(p: Position, input: string): string | undefined {
    if (p.irregular) return `g(${input})`
    const kind = p.only
    if (kind === undefined) return input // primitives only (or an empty array's elements)
    const guard = (copy: string) =>
      p.primitive
        ? `(${input} === null || typeof ${input} !== 'object' ? ${input} : ${copy})`
        : copy
    switch (kind) {
      case 'date':
        return guard(`new Date(${input}.getTime())`)
      case 'registered':
        return guard(`r(${p.registered}, ${input})`)
      case 'array': {
        const name = this.add()
        if (name === undefined) return undefined
        const element = this.expression(p.element!, 'e')
        if (element === undefined) return undefined
        this.functions[this.index(name)] =
          `function ${name}(a) { const n = a.length, out = new Array(n); for (let i = 0; i < n; i++) { const e = a[i]; out[i] = ${element} } return out }`
        return guard(`${name}(${input})`)
      }
      case 'object': {
        const name = this.add()
        if (name === undefined) return undefined
        const fields: string[] = []
        const locals: string[] = []
        for (let i = 0; i < p.keys!.length; i++) {
          const key = JSON.stringify(p.keys![i])
          const field = p.fields![i]!
          const local = `f${i}`
          const copy = this.expression(field, local)
          if (copy === undefined) return undefined
          if (copy === local) {
            fields.push(`${key}: o[${key}]`)
          } else {
            locals.push(`const ${local} = o[${key}]`)
            fields.push(`${key}: ${copy}`)
          }
        }
        this.functions[this.index(name)] =
          `function ${name}(o) { ${locals.join('; ')}${locals.length ? ';' : ''} return { ${fields.join(', ')} } }`
        return guard(`${name}(${input})`)
      }
    }
  }

  /** Reserves the next function's name; undefined past MAX_FUNCTIONS. */
  private add(): string | undefined {
    if (this.functions.length >= MAX_FUNCTIONS) return undefined
    this.functions.push('')
    return `c${this.functions.length - 1}`
  }

  private index(name: string): number {
    return Number(name.slice(1))
  }
}
