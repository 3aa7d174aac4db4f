import 'reflect-metadata';
import { createLogger } from '@clickstream/logger';
import { loadConfigOrExit } from '@clickstream/platform';
import { parseReplayFrom } from './replay-from.js';
import { runReplay } from './run-replay.js';

const USAGE = `usage: npm run replay -- <from>

  Rewinds the aggregator's consumer group and rebuilds the rollups, then reads the log
  again until it has caught up. Stop Clickstream first.

  <from>  earliest                 the whole topic
          <offset>                 this offset on every partition (e.g. 1200)
          <ISO-8601 time>          the first event received at or after it (e.g. 2026-11-25T10:00:00Z)
`;

/** `npm run replay -- <from>`: rewind, rebuild, catch up, stop. */
async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined || arg === '--help' || arg === '-h') {
    process.stdout.write(USAGE);
    process.exit(arg === undefined ? 64 : 0);
  }
  let from;
  try {
    from = parseReplayFrom(arg);
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exit(64);
  }
  const config = loadConfigOrExit('replay');
  const logger = createLogger(config.log.level, 'replay');
  try {
    await runReplay(from, config, logger, process.stdout);
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main();
