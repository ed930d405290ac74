// bench has no @types/pg of its own (and may not add one): the little it uses of pg, typed here.
declare module 'pg' {
  interface QueryResult {
    rows: Record<string, any>[]
  }
  class Client {
    constructor(config: { connectionString: string })
    connect(): Promise<void>
    query(sql: string): Promise<QueryResult>
    end(): Promise<void>
  }
  class Pool {
    constructor(config: { connectionString: string; max?: number })
    query(sql: string): Promise<QueryResult>
    end(): Promise<void>
  }
  const pg: { Client: typeof Client; Pool: typeof Pool }
  export default pg
}
