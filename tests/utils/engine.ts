import { readFileSync } from 'node:fs';
import { defaultModelPath, Engine, type EngineOptions } from '@fraudstream/engine';

/** A real engine (worker pool + Rust addon) serving the repository's default model. */
export function realEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.create({ modelJson: readFileSync(defaultModelPath(), 'utf8'), modelVersion: 'default', workers: 2, ...options });
}
