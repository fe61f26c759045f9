import { Duration, Validations } from "aws-cdk-lib";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { webhookMaxAttempts } from "../../lambdas/core/webhook-policy";
import { batchEndedType, eventSource } from "../../lambdas/dialects/event-names";
import { GatewayFunction } from "./gateway-function";
import type { StagingStorage } from "./staging-storage";

/** Props of {@link BatchEvents}. */
export interface BatchEventsProps {
  readonly storage: StagingStorage;
  /** Unseals the webhook signing secrets. */
  readonly credentialsKey: IKey;
  /** Environment shared with the gateway's Lambdas (the table's name). */
  readonly environment: Record<string, string>;
}

/**
 * Where batch ends go: the gateway's own EventBridge bus (source `finops.gateway`, detail-type `FinOps Batch
 * Ended`; subscribe with a rule of your own), and a rule that queues each one for the webhook function, which
 * delivers it to the webhook of the credential whose batch it was, retrying with backoff before the dead-letter
 * queue keeps it.
 */
export class BatchEvents extends Construct {
  public readonly bus: EventBus;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly webhookFunction: LambdaFunction;

  constructor(scope: Construct, id: string, props: BatchEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, "Bus", { description: "FinOps gateway: one event per batch end" });
    this.deadLetterQueue = new Queue(this, "WebhookDeadLetters", {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This is the webhook queue's dead-letter queue.",
    });
    this.queue = new Queue(this, "Webhooks", {
      // Six times the function's timeout, as Lambda advises for queue sources; a failed delivery sets its own.
      visibilityTimeout: Duration.seconds(180),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: webhookMaxAttempts },
    });
    new Rule(this, "BatchEndedToWebhooks", {
      eventBus: this.bus,
      eventPattern: { source: [eventSource], detailType: [batchEndedType] },
      targets: [new SqsQueue(this.queue)],
    });
    this.webhookFunction = new GatewayFunction(this, "Webhook", {
      entry: "webhooks",
      timeout: Duration.seconds(30),
      environment: { ...props.environment, WEBHOOK_QUEUE_URL: this.queue.queueUrl },
    }).function;
    this.webhookFunction.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    props.storage.grantItemAccess(this.webhookFunction);
    props.credentialsKey.grantDecrypt(this.webhookFunction);
  }

  /** Lets a function publish batch ends on the bus (EVENT_BUS_NAME). */
  grantPublish(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.bus.grantPutEventsTo(fn);
    fn.addEnvironment("EVENT_BUS_NAME", this.bus.eventBusName);
  }
}
