/**
 * Redis glob matching, ported from Redis's `stringmatchlen` (src/util.c) so `deletePattern`
 * deletes exactly what `KEYS`/`SCAN MATCH` with the same pattern would match: it works on UTF-8
 * bytes (`?` is one byte), `[^…]` negates (`!` is an ordinary character), ranges may be written
 * backwards, `\` escapes inside and outside classes, `[]` matches nothing and an unterminated
 * class runs to the end of the pattern.
 */
const signed = (byte: number) => (byte << 24) >> 24

export function compileGlob(pattern: string): (key: string) => boolean {
  const p = Buffer.from(pattern, 'utf8')
  return (key) => {
    const s = Buffer.from(key, 'utf8')
    return matchAt(p, 0, s, 0, { skipLonger: false })
  }
}

// `skipLonger`: once a `*` failed to match with the rest of the string, a longer string cannot
// match either (Redis's guard against exponential backtracking; it changes no result)
function matchAt(p: Buffer, pi: number, s: Buffer, si: number, state: { skipLonger: boolean }) {
  const pEnd = p.length
  const sEnd = s.length
  while (pi < pEnd && si < sEnd) {
    const c = p[pi]!
    if (c === 0x2a /* * */) {
      while (pi + 1 < pEnd && p[pi + 1] === 0x2a) pi++
      if (pi + 1 === pEnd) return true
      while (si < sEnd) {
        if (matchAt(p, pi + 1, s, si, state)) return true
        if (state.skipLonger) return false
        si++
      }
      state.skipLonger = true
      return false
    }
    if (c === 0x3f /* ? */) {
      si++
    } else if (c === 0x5b /* [ */) {
      pi++
      const not = p[pi] === 0x5e /* ^ */
      if (not) pi++
      let match = false
      const ch = s[si]!
      while (true) {
        if (p[pi] === 0x5c /* \ */ && pEnd - pi >= 2) {
          pi++
          if (p[pi] === ch) match = true
        } else if (p[pi] === 0x5d /* ] */) {
          break
        } else if (pi >= pEnd) {
          // unterminated: the class ends with the pattern
          pi--
          break
        } else if (pEnd - pi >= 3 && p[pi + 1] === 0x2d /* - */) {
          // Redis compares `char`s, signed on the platforms it runs on: bytes ≥ 0x80 sort first
          let start = signed(p[pi]!)
          let end = signed(p[pi + 2]!)
          if (start > end) [start, end] = [end, start]
          pi += 2
          if (signed(ch) >= start && signed(ch) <= end) match = true
        } else if (p[pi] === ch) {
          match = true
        }
        pi++
      }
      if (not) match = !match
      if (!match) return false
      si++
    } else {
      if (c === 0x5c /* \ */ && pEnd - pi >= 2) pi++
      if (p[pi] !== s[si]) return false
      si++
    }
    pi++
    if (si === sEnd) {
      while (pi < pEnd && p[pi] === 0x2a) pi++
      break
    }
  }
  return pi === pEnd && si === sEnd
}
