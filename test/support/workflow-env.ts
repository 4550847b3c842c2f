import type { LocalDynamo } from './dynalite.js';
import type { Moto } from './moto.js';

/**
 * Points the real Lambda handlers at dynalite and moto_server, as their environment would point
 * them at AWS: set before the handler modules are imported (they build their clients on load).
 */
export function pointHandlersAt(db: LocalDynamo, moto: Moto | undefined, tableName: string): void {
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    SCHEDULE_MINUTES: '5',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: moto?.endpoint ?? 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // the handlers' CloudWatch metrics (EMF lines on stdout) are not what these tests read
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}
