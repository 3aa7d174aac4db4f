import { describe, expect, it } from 'vitest';
import { describeGoal, parseGoal } from './goal.js';

describe('goals', () => {
  it('is a page path or a custom event, optionally with a property value', () => {
    expect(parseGoal({ page: '/thanks/*' })).toEqual({ ok: true, goal: { page: '/thanks/*' } });
    expect(parseGoal({ event: 'signup' })).toEqual({ ok: true, goal: { event: 'signup' } });
    expect(parseGoal({ event: 'signup', property: { key: 'plan', value: 'pro' } })).toEqual({ ok: true, goal: { event: 'signup', property: { key: 'plan', value: 'pro' } } });
  });

  it('names the field of a bad goal', () => {
    expect(parseGoal({})).toMatchObject({ ok: false, field: 'page' });
    expect(parseGoal({ page: '/a', event: 'b' })).toMatchObject({ ok: false, field: 'page' });
    expect(parseGoal({ page: 'thanks' })).toMatchObject({ ok: false, field: 'page' });
    expect(parseGoal({ page: '/a', property: { key: 'k', value: 'v' } })).toMatchObject({ ok: false, field: 'property' });
    expect(parseGoal({ event: '' })).toMatchObject({ ok: false, field: 'event' });
    expect(parseGoal({ event: 'x'.repeat(121) })).toMatchObject({ ok: false, field: 'event' });
    expect(parseGoal({ event: 'a', property: { key: 'bad key', value: 'v' } })).toMatchObject({ ok: false, field: 'property.key' });
    expect(parseGoal({ event: 'a', property: { key: 'k' } })).toMatchObject({ ok: false, field: 'property.value' });
    expect(parseGoal({ event: 'a', colour: 'red' })).toMatchObject({ ok: false });
    expect(parseGoal([1])).toMatchObject({ ok: false, field: 'body' });
  });

  it('reads as the site owner wrote it', () => {
    expect(describeGoal({ page: '/thanks' })).toBe('page /thanks');
    expect(describeGoal({ event: 'signup', property: { key: 'plan', value: 'pro' } })).toBe('event signup (plan = pro)');
  });
});
