import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('renders counters and computed gauges in the Prometheus text format', () => {
    const m = new Metrics();
    const logins = m.counter('gc_logins_total', 'Sign-in attempts');
    let live = 0;
    const sessions = m.gauge('gc_sessions', 'Live sessions');
    m.onCollect(() => sessions(live));
    logins({ outcome: 'success' });
    logins({ outcome: 'failure' }, 2);
    live = 3;
    expect(m.render()).toBe(
      [
        '# HELP gc_logins_total Sign-in attempts',
        '# TYPE gc_logins_total counter',
        'gc_logins_total{outcome="success"} 1',
        'gc_logins_total{outcome="failure"} 2',
        '# HELP gc_sessions Live sessions',
        '# TYPE gc_sessions gauge',
        'gc_sessions 3',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values', () => {
    const m = new Metrics();
    m.counter('gc_x_total', 'x')({ v: 'a"b\\c\nd' });
    expect(m.render()).toContain('gc_x_total{v="a\\"b\\\\c\\nd"} 1');
  });
});
