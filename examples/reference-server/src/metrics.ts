/**
 * A small Prometheus registry: counters and gauges with fixed label names, rendered in the text
 * exposition format (version 0.0.4). Gauges may be computed at scrape time.
 */
export class Metrics {
  private readonly series = new Map<
    string,
    { help: string; type: 'counter' | 'gauge'; values: Map<string, number> }
  >();
  private readonly collectors: (() => void)[] = [];

  counter(name: string, help: string): (labels?: Record<string, string>, by?: number) => void {
    const s = this.define(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const key = labelKey(labels);
      s.values.set(key, (s.values.get(key) ?? 0) + by);
    };
  }

  gauge(name: string, help: string): (value: number, labels?: Record<string, string>) => void {
    const s = this.define(name, help, 'gauge');
    return (value, labels = {}) => {
      s.values.set(labelKey(labels), value);
    };
  }

  /** Runs `fn` before every render, to refresh gauges from live state. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const fn of this.collectors) fn();
    const lines: string[] = [];
    for (const [name, s] of this.series) {
      lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      if (s.values.size === 0) lines.push(`${name} 0`);
      for (const [labels, v] of s.values) lines.push(`${name}${labels} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private define(name: string, help: string, type: 'counter' | 'gauge') {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad metric name ${name}`);
    let s = this.series.get(name);
    if (!s) {
      s = { help, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }
}

function labelKey(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const body = entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
  return `{${body}}`;
}
