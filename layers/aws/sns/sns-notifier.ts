import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { RemediationNotice } from '../../core/compliance/remediate.js';

/** SNS: a subject is at most 100 printable ASCII characters, without line breaks. */
const SUBJECT_MAX = 100;

/**
 * Remediation notices (a notify remediation, an approval waiting for a person) on the alarm
 * topic: the notice as JSON in the message, a short subject for e-mail subscribers. The notice's
 * `topic` names who should hear of it (a team, a channel) for subscribers to filter on (a message
 * attribute): it is not a topic ARN, so a policy document can never make Twinscale publish
 * anywhere but its own topic.
 */
export function snsNotifier(
  client: SNSClient,
  topicArn: string,
): (notice: RemediationNotice) => Promise<void> {
  return async (notice) => {
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subjectOf(notice),
        Message: JSON.stringify(notice),
        MessageAttributes: {
          twinId: { DataType: 'String', StringValue: notice.twinId },
          ...(notice.topic ? { topic: { DataType: 'String', StringValue: notice.topic } } : {}),
        },
      }),
    );
  };
}

export const subjectOf = (notice: RemediationNotice): string =>
  `Twinscale ${notice.twinId}: ${notice.violationId}`.replace(/[^\x20-\x7e]/g, '?').slice(0, SUBJECT_MAX);
