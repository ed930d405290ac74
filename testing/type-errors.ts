// What TypeScript tells a user who writes a line that a type test marks `@ts-expect-error`: the
// file is type-checked with those comments removed, and each error comes back with its text, so a
// test can check that an error is about the right thing and not only that there is one.
import { dirname } from 'node:path'
import ts from 'typescript'

export interface TypeError {
  /** 1-based line of the error in the file. */
  line: number
  code: number
  /** The whole message, as an editor shows it (chained messages joined with newlines). */
  message: string
}

export interface ExpectedErrors {
  /** Every error of the file once its `@ts-expect-error` comments are removed. */
  errors: TypeError[]
  /** The line each `// @ts-expect-error <what>` comment stands above, by `<what>`. */
  expectations: Map<string, number>
  /** The errors on the line below `// @ts-expect-error <what>`. */
  at(what: string): TypeError[]
}

/** The errors a user would see in `file` (type-checked under `tsconfig`) without its `@ts-expect-error` comments. */
export function expectedTypeErrors(file: string, tsconfig: string): ExpectedErrors {
  const errors = typeErrorsWithoutExpectations(file, tsconfig)
  const expectations = new Map<string, number>()
  ;(ts.sys.readFile(file) ?? '').split('\n').forEach((text, i) => {
    const what = /\/\/ @ts-expect-error (.*)$/.exec(text)?.[1]
    if (what) expectations.set(what.trim(), i + 2)
  })
  return {
    errors,
    expectations,
    at: (what) => errors.filter((e) => e.line === expectations.get(what)),
  }
}

function typeErrorsWithoutExpectations(file: string, tsconfig: string): TypeError[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(d) },
  )
  if (!parsed) throw new Error(`cannot read ${tsconfig}`)
  const host = ts.createCompilerHost(parsed.options)
  const read = host.getSourceFile.bind(host)
  const target = ts.sys.resolvePath(file)
  host.getSourceFile = (name, language, onError, fresh) => {
    if (ts.sys.resolvePath(name) !== target) return read(name, language, onError, fresh)
    const text = ts.sys.readFile(name)
    if (text === undefined) throw new Error(`cannot read ${name}`)
    return ts.createSourceFile(name, text.replace(/\/\/ @ts-expect-error.*$/gm, ''), language)
  }
  const program = ts.createProgram({ rootNames: [target], options: parsed.options, host })
  const source = program.getSourceFile(target)
  if (!source) throw new Error(`${file} is not in the program (cwd ${dirname(tsconfig)})`)
  return [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ].map((d) => ({
    line: source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }))
}

function fail(d: ts.Diagnostic): never {
  throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}
