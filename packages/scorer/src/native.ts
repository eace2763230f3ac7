import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type * as Native from '@fraudstream/scorer-native';

/** The test-only exports of an addon built with the cargo feature `test-hooks`. */
export interface TestHooks {
  armPanic(handle: number, ticket: number): void;
  armMiscount(handle: number, ticket: number): void;
}

/** The addon's exports; the test hooks are present only in a `test-hooks` build. */
export type NativeModule = typeof Native & Partial<TestHooks>;

/** Environment variable naming a `.node` file to load instead of the packaged addon (tests load the hooks build). */
export const NATIVE_ENV = 'FRAUDSTREAM_SCORER_NATIVE';

const require = createRequire(import.meta.url);
const override = process.env[NATIVE_ENV];

/**
 * Path of the addon this process loaded. Worker threads inherit the environment, so every thread of a process
 * loads the same file and reaches the same process-wide scorers.
 */
export const nativePath: string =
  override !== undefined && override !== '' ? resolve(override) : require.resolve('@fraudstream/scorer-native');

/** The loaded addon: the only reference to it in the repository outside its own tests. */
export const native = require(nativePath) as NativeModule;
