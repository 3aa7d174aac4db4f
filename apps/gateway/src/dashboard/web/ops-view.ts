import type { DashboardApi } from './api.js';
import { byId, setText } from './dom.js';
import { DASH, formatCount } from './format.js';
import { onShown, pageHidden } from './visibility.js';

const OPS_EVERY_MS = 10_000;

/**
 * The pipeline's health under the dashboard: is the aggregator keeping up, is anything refused.
 * Read every 10 s while the page is shown, and at once when it is shown again.
 */
export class OpsView {
  constructor(private readonly api: DashboardApi) {}

  start(): void {
    void this.refresh();
    setInterval(() => {
      if (!pageHidden()) void this.refresh();
    }, OPS_EVERY_MS);
    onShown(() => void this.refresh());
  }

  private async refresh(): Promise<void> {
    const res = await this.api.ops();
    if (!res.ok && res.status === 0) return;
    const report = res.ok ? res.data : undefined;
    setText('ops-lag', report ? `${formatCount(report.consumerLag)} events` : DASH);
    setText('ops-dead-letters', formatCount(report?.deadLetters));
    byId('ops-lag').classList.toggle('warn', (report?.consumerLag ?? 0) > 1_000);
    byId('ops-dead-letters').classList.toggle('warn', (report?.deadLetters ?? 0) > 0);
    if (report) byId('ops-lag').title = report.partitions.map((p) => `partition ${p.partition}: ${p.lag}`).join('\n');
  }
}
