import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { observed, required } from "../app/lambda-runtime";
import { deliverQueuedEvents } from "../app/webhooks";
import { logger } from "../logger";
import { DynamoWebhookStore } from "../state/dynamo-webhook-store";
import { KmsSealer } from "../state/sealers";

const deps = {
  webhooks: new DynamoWebhookStore(new DynamoDBClient({}), required(process.env, "TABLE_NAME")),
  sealer: new KmsSealer(new KMSClient({}), required(process.env, "CREDENTIALS_KMS_KEY")),
};
const sqs = new SQSClient({});
const queueUrl = required(process.env, "WEBHOOK_QUEUE_URL");

/**
 * Lambda entry point of the webhook queue (batch-ended events, routed there by the stack's EventBridge rule):
 * each event to its credential's webhook, signed; a failed delivery comes back after 30 s, 1 min, 2 min, … (its
 * visibility is set to the backoff), never holding up a batch.
 */
export const handler = observed(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const messages = event.Records.map((record) => ({
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
    receiptHandle: record.receiptHandle,
  }));
  const failed = await deliverQueuedEvents(
    deps,
    messages,
    (message, delaySeconds) =>
      sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: (message as (typeof messages)[number]).receiptHandle,
            VisibilityTimeout: delaySeconds,
          }),
        )
        .then(() => undefined),
    (message, fields) => logger.info(message, fields),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
});
