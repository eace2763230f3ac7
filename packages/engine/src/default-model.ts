import { fileURLToPath } from 'node:url';

/** Path of the default model shipped with the repository (`models/default.json`, see models/README.md). */
export function defaultModelPath(): string {
  return fileURLToPath(new URL('../../../models/default.json', import.meta.url));
}
