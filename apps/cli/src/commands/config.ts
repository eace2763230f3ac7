import { loadConfigFile, resolveSettings } from '../config.js';
import { SETTINGS } from '../config-schema.js';
import { UsageError } from '../args.js';

/** `fraudstream config --help`. */
export const help = `Usage: fraudstream config check FILE

Checks a TOML config file for 'fraudstream start --config FILE': every table and key must be known and every value
valid (the same checks as the environment and the flags). Exit 0 when it is valid; exit 1 with an error naming the
unknown or invalid key and why.

Keys (table.key, flag, environment):
${SETTINGS.map((s) => `  ${s.key.padEnd(26)} ${(s.flag === undefined ? '' : `--${s.flag}`).padEnd(26)} ${s.env.join(', ')}\n      ${s.help}`).join('\n')}
`;

/** Runs `config check FILE`. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  const [sub, file, ...rest] = argv;
  if (sub !== 'check' || file === undefined || rest.length > 0) throw new UsageError('expected: config check FILE');
  const values = loadConfigFile(file);
  // The checks between keys, on the file alone (the environment and flags of this shell are not the deployment's).
  resolveSettings({ flags: {}, env: {}, file: { path: file, values } });
  process.stdout.write(`${file}: ok (${values.size} key${values.size === 1 ? '' : 's'} set)\n`);
  return 0;
}
