import { describe, expect, it } from 'vitest';
import { samplesOf } from './prometheus-text.js';

const text = `# HELP clickstream_aggregator_watermark_seconds Watermark of each partition (event time, Unix seconds)
# TYPE clickstream_aggregator_watermark_seconds gauge
clickstream_aggregator_watermark_seconds{partition="0"} 1764064800.5
clickstream_aggregator_watermark_seconds{partition="1"} 1764064812
clickstream_aggregator_watermark_seconds_total 3
clickstream_aggregator_events_processed_total{type="pageview"} 40
clickstream_aggregator_clickhouse_up 1
`;

describe('samplesOf', () => {
  it('reads the samples of one metric with their labels, and no other metric', () => {
    expect(samplesOf(text, 'clickstream_aggregator_watermark_seconds')).toEqual([
      { labels: { partition: '0' }, value: 1764064800.5 },
      { labels: { partition: '1' }, value: 1764064812 },
    ]);
    expect(samplesOf(text, 'clickstream_aggregator_clickhouse_up')).toEqual([{ labels: {}, value: 1 }]);
    expect(samplesOf(text, 'missing')).toEqual([]);
  });
});
