import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelPath } from '@fraudstream/engine';
import { cli } from './utils/cli.js';

describe('models/default.json', () => {
  it('is reproduced byte for byte by the command in models/README.md', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-model-'));
    const data = join(dir, 'default.csv');
    const model = join(dir, 'default.json');
    // Generous child timeouts: training on 122 days takes ~50 s of CPU, several minutes on a loaded machine.
    expect(cli(['generate', '--out', data, '--seed', '0'], 300_000).status).toBe(0);
    const trained = cli(['train', '--data', data, '--out', model, '--from', '2018-04-01', '--days', '122', '--trees', '300', '--max-depth', '4', '--learning-rate', '0.05', '--min-child-weight', '5', '--bins', '1024', '--seed', '0'], 800_000);
    expect(trained.status, `train: ${trained.stderr}`).toBe(0);
    expect(trained.stderr).toBe('');
    expect(readFileSync(model, 'utf8') === readFileSync(defaultModelPath(), 'utf8')).toBe(true);
  }, 1_200_000);
});
