// One real local Redis Cluster (3 masters, 1 replica each) per package test run, started by vitest's
// globalSetup and torn down after the run. Test files reach it through `sharedClusterNodes()`;
// tests that kill or freeze nodes start a LocalCluster of their own instead.
import type KeyvRedis from '@keyv/redis'
import type { createCluster } from '@keyv/redis'
import { inject } from 'vitest'
import type { TestProject } from 'vitest/node'
import { LocalCluster } from './cluster.js'
import { clusterAdapter as adapterFor } from './redis.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisCluster: { url: string }[]
  }
}

let cluster: LocalCluster | undefined

/** vitest globalSetup: `globalSetup: ['@querycache/testing/shared-cluster']`. */
export async function setup(project: TestProject): Promise<void> {
  cluster = await LocalCluster.start()
  project.provide('redisCluster', cluster.rootNodes)
}

export async function teardown(): Promise<void> {
  await cluster?.stop()
  cluster = undefined
}

/** The root nodes of the package run's shared cluster. */
export function sharedClusterNodes(): { url: string }[] {
  return inject('redisCluster')
}

/** A KeyvRedis over a client of the shared cluster (or of `rootNodes`); see redis.ts. */
export function clusterAdapter(rootNodes: { url: string }[] = sharedClusterNodes()) {
  return adapterFor(rootNodes)
}

/** The node-redis cluster client behind a clusterAdapter, connected. */
export async function clusterClient(adapter: KeyvRedis<string>) {
  const client = (await adapter.getClient()) as unknown as ReturnType<typeof createCluster>
  if (!client.isOpen) await client.connect()
  return client
}
