import { type ChildProcess, fork } from 'node:child_process'

/**
 * Forks a TypeScript worker (through tsx) with extra environment, and resolves once it has sent
 * its first message (its "ready"); rejects if it exits before.
 */
export async function forkWorker(path: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(path, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: 'inherit',
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before it was ready`)),
    )
  })
  return child
}
