/**
 * Redis-style glob (`*`, `?`, `[abc]`, `[^a-z]`, backslash escapes) compiled to an anchored RegExp.
 * Every other character is literal, so user keys with regex metacharacters are safe.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '^'
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') out += '[\\s\\S]*'
    else if (c === '?') out += '[\\s\\S]'
    else if (c === '\\' && i + 1 < pattern.length) out += escapeChar(pattern[++i]!)
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end === -1) {
        out += '\\['
        continue
      }
      let body = pattern.slice(i + 1, end)
      const negate = body.startsWith('^') || body.startsWith('!')
      if (negate) body = body.slice(1)
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`
      i = end
    } else out += escapeChar(c)
  }
  return new RegExp(`${out}$`, 'u')
}

function escapeChar(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
