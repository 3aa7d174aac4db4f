import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** node:util's parseArgs (strict), its errors turned into one line naming the command. */
export function parseCommandLine<const T extends ParseArgsConfig>(command: string, config: T): Parsed<T> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`${command}: ${parseErrorText(err as Error & { code?: string })} (clickstream ${command} --help lists the options)`);
  }
}

function parseErrorText(err: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(-[^\s,]+)(?:, (--[^\s']+))? <value>' argument missing/.exec(err.message);
  if (missing) return `${missing[2] ?? missing[1]} needs a value`;
  const ambiguous = /^Option '(-[^\s,']+)(?:, (--[^\s']+))?' argument is ambiguous/.exec(err.message);
  if (ambiguous) {
    const name = ambiguous[2] ?? ambiguous[1];
    return `${name} needs a value (write ${name}=<value> for a value starting with "-")`;
  }
  return err.message.replace(/\s+/g, ' ').trim();
}

/** The positionals after the subcommand, or an error when there are more than `names` allows. */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[]): (string | undefined)[] {
  if (positionals.length > names.length) {
    const extra = positionals[names.length]!;
    throw new CliError(`${command}: unexpected argument "${extra}" (clickstream ${command.split(' ')[0]} --help shows the usage)`);
  }
  return names.map((_, i) => positionals[i]);
}

/** A whole number option within bounds, or undefined when not given. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`--${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}
