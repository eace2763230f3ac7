#!/usr/bin/env node
/** The `fraudstream` command: dispatches to one module per subcommand. */
import { UsageError } from './args.js';
import * as backtest from './commands/backtest.js';
import * as bench from './commands/bench.js';
import * as decisions from './commands/decisions.js';
import * as generate from './commands/generate.js';
import * as produce from './commands/produce.js';
import * as start from './commands/start.js';
import * as train from './commands/train.js';
import * as exportFeatures from './commands/export-features.js';

interface Command {
  help: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = { start, generate, train, backtest, bench, decisions, produce, 'export-features': exportFeatures };

const usage = `Usage: fraudstream <command> [options]

Commands:
  start      run the system: source -> engine -> scorer -> server and dashboard (http://127.0.0.1:8080)
  generate   write simulated labelled transactions (CSV interchange format)
  train      train a GBDT model on labelled transactions, with the scorer's own features
  backtest   train and evaluate with the handbook's time protocol (AUC ROC, average precision, card precision@100)
  bench      drive the whole pipeline in process at an offered rate; report decided tx/s, latency, CPU, memory
  decisions  query the durable decision log in a data dir (time range, decision, card), as a table, CSV or JSON
  export-features  write the scorer's own features of a labelled CSV (with labels and days) for training elsewhere
  produce    send simulated or replayed JSON transactions (and their labels) to a Kafka topic at a paced rate

Run 'fraudstream <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`fraudstream: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fraudstream ${name}: ${err.message}\n\n${command.help}`);
      return 2;
    }
    process.stderr.write(`fraudstream ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// A command that keeps serving (start) returns -1 and the process lives on its server and signal handlers.
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
