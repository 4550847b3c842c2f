import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AlertPublishError, eventBridgeAlerts } from '../../../functions/shared/wiring.js';
import type { DriftAlert } from '../../../layers/core/twin/drift-watch.js';

const alert: DriftAlert = {
  twinId: 'web',
  metric: 'requests',
  status: 'drifting',
  direction: 'up',
  score: 1.2,
  at: '2026-11-23T12:00:00.000Z',
  message: 'requests ran above the forecast',
};

/** A client that records what it is sent and answers `reply`. */
function fakeClient(reply: object) {
  const sent: {
    input: { Entries: { Source: string; DetailType: string; Detail: string; EventBusName?: string }[] };
  }[] = [];
  const client = {
    send: async (c: (typeof sent)[number]) => {
      sent.push(c);
      return reply;
    },
  } as unknown as EventBridgeClient;
  return { client, sent };
}

describe('Function: eventBridgeAlerts', () => {
  it('puts one twinscale drift event on the default bus with the alert as its detail', async () => {
    // Prepare
    const { client, sent } = fakeClient({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    // Act
    await eventBridgeAlerts(client).publish(alert);
    // Assess
    expect(sent).toHaveLength(1);
    const [entry] = sent[0].input.Entries;
    expect(entry).toMatchObject({ Source: 'twinscale', DetailType: 'Twinscale drift' });
    expect(entry.EventBusName).toBeUndefined();
    expect(JSON.parse(entry.Detail)).toEqual(alert);
  });

  it('throws when PutEvents refuses the entry (it answers 200 with a failed count)', async () => {
    const { client } = fakeClient({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
    });
    await expect(eventBridgeAlerts(client).publish(alert)).rejects.toThrow(AlertPublishError);
  });
});
