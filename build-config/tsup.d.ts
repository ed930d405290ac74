import type { Options } from 'tsup'

/** tsup options for a published package: `entry` maps output names to source files. */
export function packageBuild(entry: Record<string, string>, overrides?: Options): Options
