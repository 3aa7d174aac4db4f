import { describe, expect, it } from 'vitest';
import { resolveTopic, roleOf } from './topic-roles.js';

const topics = { events: 'prod.events', aggregates: 'prod.aggregates', deadLetter: 'prod.dlq', sites: 'prod.sites', salts: 'prod.salts' };

describe('topic roles', () => {
  it('maps a role to the configured topic and leaves other names alone', () => {
    expect(resolveTopic('events', topics)).toBe('prod.events');
    expect(resolveTopic('dead-letter', topics)).toBe('prod.dlq');
    expect(resolveTopic('prod.aggregates', topics)).toBe('prod.aggregates');
    expect(resolveTopic('sites', topics)).toBe('prod.sites');
    expect(resolveTopic('orders', topics)).toBe('orders');
  });

  it('finds the role of a configured topic', () => {
    expect(roleOf('prod.dlq', topics)).toBe('dead-letter');
    expect(roleOf('orders', topics)).toBeUndefined();
  });
});
