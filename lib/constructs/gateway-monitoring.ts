import { Duration, Names } from "aws-cdk-lib";
import type { RestApi } from "aws-cdk-lib/aws-apigateway";
import { ComparisonOperator, MathExpression, Metric } from "aws-cdk-lib/aws-cloudwatch";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import {
  AxisPosition,
  DefaultDashboardFactory,
  GraphWidgetType,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from "cdk-monitoring-constructs";
import { Construct } from "constructs";
import { metricNames as n } from "../../lambdas/metric-names";

/** Props of {@link GatewayMonitoring}. */
export interface GatewayMonitoringProps {
  readonly api: RestApi;
  /** The front door Lambdas and the staged routes' authorizers, by name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly taskFunction: IFunction;
  readonly reconcilerFunction: IFunction;
  readonly webhookFunction: IFunction;
  /** The daily FOCUS delivery: a failed day leaves the files a day behind. */
  readonly focusDeliveryFunction: IFunction;
  readonly stateMachine: StateMachine;
  readonly table: Table;
  readonly webhookQueue: Queue;
  readonly webhookDeadLetterQueue: Queue;
  /** Where alarms notify (an SNS topic: email, chat, paging). @default alarms only on the dashboard */
  readonly alarmTopic?: ITopic;
}

/** One of the gateway's custom metrics (lambdas/metric-names.ts) over `period` (summed, unless told otherwise). */
const custom = (name: string, period: Duration, label: string, statistic = "Sum") =>
  new Metric({
    namespace: n.namespace,
    metricName: name,
    dimensionsMap: { service: n.service },
    statistic,
    period,
    label,
  });

/** CloudWatch's dynamic label: each series named by one of its dimensions (`${PROP('Dim.status')}`). */
const byDimension = (dimension: string, prefix = "") => `${prefix}$\{PROP('Dim.${dimension}')}`;

/** A dashboard graph of every series of a custom metric whatever its other dimensions (a SEARCH; no alarm). */
const search = (schema: string, name: string, period: Duration, label: string, stat = "Sum") =>
  new MathExpression({
    expression: `SEARCH('{${n.namespace},${schema}} MetricName="${name}"', '${stat}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    label,
  });

/**
 * The on-call view of the gateway (cdk-monitoring-constructs): one CloudWatch dashboard — API traffic, errors and
 * latency; batches started and ended by status with what they cost and saved; upstream retries and errors;
 * conversion throughput; the reconciler's findings; each Lambda, the state machine, the table, the webhook queue —
 * and the alarms below, sent to `alarmTopic` when one is given.
 *
 *   5xx rate        > 5 % of at least 20 requests, 2 of 2 five-minute periods   Critical
 *   failed batches  ≥ 3 in an hour                                              Warning
 *   task errors     ≥ 5 in 5 minutes (each is retried, then fails its batch)    Warning
 *   executions      any failed, timed out or aborted (the engine itself broke)  Critical
 *   throttling      any Lambda throttle (task, reconciler, webhooks, doors), any DynamoDB throttled request  Warning
 *   reconciler      any batch resumed or failed (an execution stopped), any run failed                      Warning
 *   webhooks        any message in the dead-letter queue (a receiver down for ~5.5 h)                       Warning
 */
export class GatewayMonitoring extends Construct {
  public readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: GatewayMonitoringProps) {
    super(scope, id);
    // Dashboard and alarm names are unique per account and Region: several gateways each get their own.
    const prefix = Names.uniqueResourceName(this, { maxLength: 48, separator: "-" });
    const facade = new MonitoringFacade(this, "Facade", {
      alarmFactoryDefaults: {
        actionsEnabled: true,
        alarmNamePrefix: prefix,
        ...(props.alarmTopic && { action: new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic }) }),
      },
      dashboardFactory: new DefaultDashboardFactory(this, "Dashboards", {
        dashboardNamePrefix: prefix,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: true,
      }),
    });
    this.facade = facade;
    const fiveMinutes = Duration.minutes(5);
    const hour = Duration.hours(1);
    const day = Duration.days(1);
    const stage = props.api.deploymentStage.stageName;
    const apiMetric = (metricName: string) =>
      new Metric({
        namespace: "AWS/ApiGateway",
        metricName,
        dimensionsMap: { ApiName: props.api.restApiName, Stage: stage },
        statistic: "Sum",
        period: fiveMinutes,
      });

    facade.addLargeHeader("FinOps batch gateway");
    facade.monitorApiGateway({ api: props.api, apiStage: stage, alarmFriendlyName: "Api" });
    facade.monitorCustom({
      alarmFriendlyName: "Operations",
      humanReadableName: "Batches, cost and operations",
      metricGroups: [
        {
          title: "API 5xx rate (%)",
          metrics: [
            {
              metric: new MathExpression({
                expression: "IF(requests >= 20, 100 * faults / requests, 0)",
                usingMetrics: { faults: apiMetric("5XXError"), requests: apiMetric("Count") },
                period: fiveMinutes,
                label: "5xx %",
              }),
              alarmFriendlyName: "Api5xxRate",
              addAlarm: {
                Critical: {
                  threshold: 5,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  datapointsToAlarm: 2,
                  evaluationPeriods: 2,
                },
              },
            },
          ],
        },
        {
          title: "Batches ended, by status",
          metrics: [search("dialect,provider,service,status", n.batchesEnded, hour, byDimension("status"))],
          graphWidgetType: GraphWidgetType.STACKED_AREA,
        },
        {
          title: "Failed batches",
          metrics: [
            {
              metric: custom(n.batchesFailed, hour, "failed"),
              alarmFriendlyName: "FailedBatches",
              addAlarm: {
                Warning: { threshold: 3, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
              },
            },
            custom(n.batchesEndedAll, hour, "ended"),
          ],
        },
        {
          title: "Batches started, by provider",
          metrics: [search("dialect,provider,service", n.batchesStarted, hour, byDimension("provider"))],
        },
        {
          title: "Cost and saving (USD per day)",
          metrics: [
            new MathExpression({
              expression: `SUM(SEARCH('{${n.namespace},model,service,tenant} MetricName="${n.costUsd}"', 'Sum', 86400))`,
              usingMetrics: {},
              period: day,
              label: "cost",
            }),
            new MathExpression({
              expression: `SUM(SEARCH('{${n.namespace},model,service,tenant} MetricName="${n.savedUsd}"', 'Sum', 86400))`,
              usingMetrics: {},
              period: day,
              label: "saved",
            }),
          ],
        },
        {
          title: "Upstream retries and errors, by provider",
          metrics: [
            search("provider,service", n.upstreamRetries, fiveMinutes, byDimension("provider", "retries ")),
            search("provider,service", n.upstreamErrors, fiveMinutes, byDimension("provider", "errors ")),
          ],
        },
        {
          title: "Upstream latency, by provider (p90, ms)",
          metrics: [search("provider,service", n.upstreamLatency, fiveMinutes, byDimension("provider"), "p90")],
        },
        {
          title: "Latency per route (p90, ms)",
          metrics: [search("frontDoor,route,service", n.latency, fiveMinutes, byDimension("route"), "p90")],
        },
        {
          title: "Conversion throughput (requests/s)",
          metrics: [search("direction,service", n.conversionRate, hour, byDimension("direction"), "Average")],
        },
        {
          title: "Reconciler",
          metrics: [
            {
              metric: new MathExpression({
                expression: "resumed + lost",
                usingMetrics: {
                  resumed: custom(n.resumedBatches, hour, "resumed"),
                  lost: custom(n.lostBatches, hour, "lost"),
                },
                period: hour,
                label: "executions lost",
              }),
              alarmFriendlyName: "ReconcilerFindings",
              addAlarm: {
                Warning: { threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
              },
            },
            { metric: custom(n.lateEvents, hour, "late events"), alarmFriendlyName: "LateEvents", addAlarm: {} },
            {
              metric: custom(n.watchedBatches, hour, "watched (max)", "Maximum"),
              alarmFriendlyName: "Watched",
              addAlarm: {},
              position: AxisPosition.RIGHT,
            },
          ],
        },
      ],
    });
    facade.addLargeHeader("Batch engine");
    facade.monitorStepFunction({
      stateMachine: props.stateMachine,
      alarmFriendlyName: "BatchStateMachine",
      addFailedExecutionCountAlarm: { Critical: { maxErrorCount: 0 } },
      addTimedOutExecutionCountAlarm: { Critical: { maxErrorCount: 0 } },
      addAbortedExecutionCountAlarm: { Critical: { maxErrorCount: 0 } },
      addThrottledExecutionCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    facade.monitorLambdaFunction({
      lambdaFunction: props.taskFunction,
      alarmFriendlyName: "BatchTask",
      addFaultCountAlarm: { Warning: { maxErrorCount: 4 } },
      addThrottlesCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    facade.monitorLambdaFunction({
      lambdaFunction: props.reconcilerFunction,
      alarmFriendlyName: "Reconciler",
      addFaultCountAlarm: { Warning: { maxErrorCount: 0 } },
      addThrottlesCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    facade.monitorLambdaFunction({
      lambdaFunction: props.focusDeliveryFunction,
      alarmFriendlyName: "FocusDelivery",
      addFaultCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    facade.monitorDynamoTable({
      table: props.table,
      alarmFriendlyName: "Table",
      addReadThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0 } },
      addWriteThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0 } },
    });
    facade.addLargeHeader("Webhooks");
    facade.monitorSqsQueueWithDlq({
      queue: props.webhookQueue,
      deadLetterQueue: props.webhookDeadLetterQueue,
      alarmFriendlyName: "Webhooks",
      addDeadLetterQueueMaxSizeAlarm: { Warning: { maxMessageCount: 0 } },
    });
    facade.monitorLambdaFunction({
      lambdaFunction: props.webhookFunction,
      alarmFriendlyName: "WebhookDelivery",
      addThrottlesCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    facade.addLargeHeader("Front doors");
    for (const [name, fn] of Object.entries(props.functions)) {
      facade.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: name,
        addThrottlesCountAlarm: { Warning: { maxErrorCount: 0 } },
      });
    }
  }
}
