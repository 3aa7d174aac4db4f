#!/usr/bin/env node
import { ConfigError, loadConfig, type AppConfig } from '@clickstream/config';
import { CliError } from './cli-error.js';
import type { CliContext, Command } from './command.js';

/** Commands load on use: `clickstream topics list` does not pay for Nest, which only replay needs. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  topics: { summary: 'list, create or describe Kafka topics: partitions, retention, offsets, consumer lag', load: async () => (await import('./commands/topics.command.js')).topicsCommand },
  produce: { summary: 'send events read as JSON lines from stdin, checked like the collect endpoint', load: async () => (await import('./commands/produce.command.js')).produceCommand },
  tail: { summary: 'print live records of the events, aggregates or dead-letter topic', load: async () => (await import('./commands/tail.command.js')).tailCommand },
  replay: { summary: "rewind the aggregator's group and rebuild the rollups (Clickstream stopped)", load: async () => (await import('./commands/replay.command.js')).replayCommand },
  sites: { summary: 'add or list sites, rotate a dashboard token, alias a Plausible domain or Umami website id', load: async () => (await import('./commands/sites.command.js')).sitesCommand },
  goals: { summary: "add, list or remove a site's goals (pages or custom events)", load: async () => (await import('./commands/goals.command.js')).goalsCommand },
  status: { summary: 'broker, topics, lag, last window, ClickHouse, ingest, gateway, counts', load: async () => (await import('./commands/status.command.js')).statusCommand },
};

const USAGE = `usage: clickstream <command> [options]

  The operator's command line of Clickstream. It reads the same environment variables as the
  apps (KAFKA_BROKERS, KAFKA_TOPIC_EVENTS, GATEWAY_PORT, ADMIN_TOKEN, …; see the README), and
  never starts a broker, except \`replay\`, which runs with Clickstream stopped.

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`)
  .join('\n')}

\`clickstream <command> --help\` shows a command's options and examples.
Errors are one line on stderr, with exit code 1 (78 for a bad environment variable).
`;

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return (await COMMANDS[topic].load()).run(['--help'], context);
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new CliError(`unknown command "${name}" (clickstream --help lists the commands)`);
  return (await entry.load()).run(args, context);
}

let config: AppConfig | undefined;
let interrupt: () => void = () => undefined;
const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
// a command that waits for Ctrl-C (tail) gets it and stops cleanly, leaving its group; otherwise,
// or on a second Ctrl-C, the process ends at once as it would without a handler
let waiting = false;
let signals = 0;
const context: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  config: () => (config ??= loadConfig()),
  untilInterrupted: () => {
    waiting = true;
    return interrupted;
  },
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!waiting || ++signals > 1) process.exit(130);
    interrupt();
  });
}

// a reader that went away (`clickstream tail | head`) ends the command, quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

main(process.argv.slice(2))
  .catch((err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`clickstream: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`clickstream: invalid configuration: ${err.problems.map((p) => `${p.variable}: ${p.detail}`).join('; ')}\n`);
      return 78;
    }
    process.stderr.write(`clickstream: ${oneLine((err as Error).message ?? String(err))}\n`);
    return 1;
  })
  // kafkajs and fetch can leave timers behind: exit once what was written has been flushed
  .then((code) => process.stdout.write('', () => process.exit(code)));
