import type { ClickHouseClient } from '@clickhouse/client';
import { AgreedValues } from './agreed-values.js';

/** Random secrets shared by every instance (the key dashboard tokens are derived from); they never leave the servers. */
export class SecretRepository {
  private readonly values: AgreedValues;

  constructor(clickhouse: ClickHouseClient, db: string) {
    this.values = new AgreedValues(clickhouse, `${db}.secrets`, 'name', 'value', 'String');
  }

  secret(name: string): Promise<string> {
    return this.values.valueFor(name);
  }
}
