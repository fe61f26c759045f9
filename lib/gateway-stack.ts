import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { FinOpsGateway, type FinOpsGatewayProps } from "./finops-gateway";

/** Props of {@link GatewayStack}: the stack's own, and the gateway's. */
export interface GatewayStackProps extends StackProps, FinOpsGatewayProps {
  /** The ARN of an SNS topic of yours that the gateway's alarms notify (instead of `alarmTopic`). */
  readonly alarmTopicArn?: string;
  /** The ARN of an ACM certificate in us-east-1 for `domainNames` (instead of `certificate`). */
  readonly certificateArn?: string;
}

/** The app's stack (`npm run cdk -- deploy`): one {@link FinOpsGateway} and the outputs a first deploy needs. */
export class GatewayStack extends Stack {
  public readonly gateway: FinOpsGateway;

  constructor(scope: Construct, id: string, props: GatewayStackProps = {}) {
    super(scope, id, props);
    const gateway = new FinOpsGateway(this, "Gateway", {
      ...props,
      alarmTopic: props.alarmTopicArn ? Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn) : props.alarmTopic,
      certificate: props.certificateArn
        ? Certificate.fromCertificateArn(this, "Certificate", props.certificateArn)
        : props.certificate,
    });
    this.gateway = gateway;
    new CfnOutput(this, "GatewayUrl", {
      value: gateway.url,
      description: "The gateway's base URL ({GW}): its CloudFront front, which every SDK calls",
    });
    new CfnOutput(this, "OpenAiBaseUrl", { value: gateway.urlOf("openai") });
    new CfnOutput(this, "ProviderKeysSecretName", { value: gateway.providerKeys.secretName });
    new CfnOutput(this, "BedrockBatchRoleArn", { value: gateway.bedrockRole.roleArn });
    new CfnOutput(this, "BatchStateMachineArn", { value: gateway.stateMachine.stateMachineArn });
    new CfnOutput(this, "EventBusName", {
      value: gateway.eventBus.eventBusName,
      description: "Batch-ended events (source finops.gateway, detail-type FinOps Batch Ended)",
    });
    new CfnOutput(this, "FocusReportsBucket", {
      value: gateway.focusReports.bucket.bucketName,
      description: "The FOCUS files, delivered daily (focus/parquet/… and focus/csv/…, by billing_period=YYYY-MM)",
    });
    new CfnOutput(this, "FocusAthenaTable", {
      value: `${gateway.focusReports.databaseName}.${gateway.focusReports.tableName}`,
      description: "The Glue table over the FOCUS Parquet files, for Athena",
    });
    new CfnOutput(this, "TableName", { value: gateway.table.tableName, description: "TABLE_NAME for `npm run keys`" });
    new CfnOutput(this, "CredentialsKmsKey", {
      value: gateway.credentialsKey.keyArn,
      description: "CREDENTIALS_KMS_KEY for `npm run keys`",
    });
  }
}
