import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { expectPositionals, intOption, parseCommandLine } from './command-line.js';

const options = { max: { type: 'string', short: 'm' }, from: { type: 'string' }, json: { type: 'boolean' } } as const;
const parse = (args: string[]) => parseCommandLine('tail', { args, options, allowPositionals: true });
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error('expected a CliError');
};

describe('parseCommandLine', () => {
  it('returns the options and positionals', () => {
    const { values, positionals } = parse(['events', '--max', '3', '--json']);
    expect(values).toEqual({ max: '3', json: true });
    expect(positionals).toEqual(['events']);
  });

  it('turns an unknown option into one line pointing at --help', () => {
    expect(messageOf(() => parse(['--nope']))).toBe('tail: unknown option --nope (clickstream tail --help lists the options)');
  });

  it('names the option whose value is missing or starts with a dash', () => {
    expect(messageOf(() => parse(['--max']))).toMatch(/^tail: --max needs a value/);
    expect(messageOf(() => parse(['--from', '-5']))).toMatch(/^tail: --from needs a value \(write --from=<value>/);
    expect(messageOf(() => parse(['--json=yes']))).not.toContain('\n');
  });
});

describe('expectPositionals and intOption', () => {
  it('refuses an extra argument', () => {
    expect(expectPositionals('sites add', ['blog'], ['id'])).toEqual(['blog']);
    expect(messageOf(() => expectPositionals('sites add', ['blog', 'extra'], ['id']))).toMatch(/^sites add: unexpected argument "extra"/);
  });

  it('reads whole numbers within bounds only', () => {
    expect(intOption('max', '12', 1, 100)).toBe(12);
    expect(intOption('max', undefined, 1, 100)).toBeUndefined();
    expect(messageOf(() => intOption('max', '0', 1, 100))).toBe('--max: expected a whole number from 1 to 100, got "0"');
    expect(messageOf(() => intOption('max', 'ten', 1, 100))).toContain('got "ten"');
  });
});
