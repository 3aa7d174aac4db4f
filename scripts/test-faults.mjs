#!/usr/bin/env node
// `npm run test:faults [-- --events N] [--rate N] [--batch N] [--seed N]`: the crash test of
// RELIABILITY.md at full size (200,000 events; 1,000,000 with --events 1000000). CI runs the
// same test with 20,000 events as part of `npm test`.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { events: { type: 'string' }, rate: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' } }, strict: true });
const whole = (name, value) => {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) {
    console.error(`--${name}: expected a positive whole number, got "${value}"`);
    process.exit(2);
  }
  return value;
};
// 2,000 events/s in requests of 10 events (a tracker's batch on page hide) by default
const env = { ...process.env, FAULT_EVENTS: whole('events', values.events) ?? '200000', FAULT_BATCH: '10' };
for (const [flag, variable] of [['rate', 'FAULT_RATE'], ['batch', 'FAULT_BATCH'], ['seed', 'FAULT_SEED']]) {
  const value = whole(flag, values[flag]);
  if (value !== undefined) env[variable] = value;
}
const run = spawnSync('npx', ['vitest', 'run', 'test/faults'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
