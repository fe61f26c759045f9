import { Validations } from "aws-cdk-lib";
import {
  AccessLogFormat,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type FrontDoorId, type FrontDoorSpec, frontDoors } from "../../lambdas/dialects/front-doors";
import { tooLargeEnvelope, tooLargeMessage } from "../../lambdas/http/limits";
import { ApiGatewayAccount } from "./api-gateway-account";

/** The Lambda behind each front door (lambdas/dialects/front-doors.ts). */
export type FrontDoorFunctions = { readonly [K in FrontDoorId]: IFunction };

/** Builds one value per front door, in the registry's order. */
export const mapFrontDoors = <T>(build: (id: FrontDoorId, door: FrontDoorSpec) => T): { [K in FrontDoorId]: T } =>
  Object.fromEntries((Object.keys(frontDoors) as FrontDoorId[]).map((id) => [id, build(id, frontDoors[id])])) as {
    [K in FrontDoorId]: T;
  };

/** Props of {@link GatewayApi}. */
export interface GatewayApiProps {
  readonly functions: FrontDoorFunctions;
  /** Steady-state requests per second across the API. @default 100 */
  readonly throttlingRateLimit?: number;
  /** Burst of requests above the steady rate. @default 200 */
  readonly throttlingBurstLimit?: number;
  /** Stage name, the first path segment of the URL. @default "v1" */
  readonly stageName?: string;
  /**
   * Set API Gateway's account-level CloudWatch role (per region), without which a stage with access logs cannot
   * be created in a fresh account. Turn it off where the account already manages that setting.
   * @default true
   */
  readonly setAccountCloudWatchRole?: boolean;
}

/**
 * One REST API with a route prefix per SDK dialect, each proxied whole to its Lambda. Every media type is
 * binary, so uploads and downloads pass through byte for byte (the handlers see base64).
 */
export class GatewayApi extends Construct {
  public readonly api: RestApi;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, "AccessLogs", { retention: RetentionDays.ONE_MONTH });
    this.api = new RestApi(this, "Api", {
      description: "FinOps batch gateway: OpenAI, Anthropic, Google GenAI and AWS SDK front doors",
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      binaryMediaTypes: ["*/*"],
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? "v1",
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.OFF,
        metricsEnabled: true,
      },
    });
    if (props.setAccountCloudWatchRole !== false) {
      this.api.deploymentStage.node.addDependency(ApiGatewayAccount.of(this).account);
    }
    // API Gateway answers bodies over 10 MB itself; say so in one JSON envelope that every JSON SDK reads.
    this.api.addGatewayResponse("RequestTooLarge", {
      type: ResponseType.REQUEST_TOO_LARGE,
      statusCode: "413",
      templates: { "application/json": JSON.stringify(tooLargeEnvelope(tooLargeMessage)) },
    });

    // Shorter mounts first, so a nested mount (`bedrock/files`) finds the resource of its parent (`bedrock`).
    const ids = (Object.keys(frontDoors) as FrontDoorId[]).sort(
      (a, b) => frontDoors[a].mount.split("/").length - frontDoors[b].mount.split("/").length,
    );
    for (const id of ids) {
      const segments = frontDoors[id].mount.split("/");
      const parent = segments.slice(0, -1).reduce<IResource>((resource, segment) => {
        const child = resource.getResource(segment);
        if (!child) throw new Error(`Mount ${frontDoors[id].mount} needs a front door at its parent path first.`);
        return child;
      }, this.api.root);
      this.mount(parent, segments.at(-1) ?? "", props.functions[id]);
    }

    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG2",
      reason:
        "Requests are proxied whole; each dialect Lambda validates its SDK's payload with a schema and answers in " +
        "that SDK's error envelope.",
    });
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG3",
      reason:
        "WAF is optional for this self-hosted gateway; stage throttling is set, and a web ACL can be associated " +
        "with the stage after deploy.",
    });
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG6",
      reason:
        "Access logs are on; execution logs are off because at INFO level they record request headers, which " +
        "carry callers' API keys.",
    });
  }

  /** `/{segment}` and `/{segment}/{proxy+}`, every method, to one Lambda (a static child such as `files` wins). */
  private mount(parent: IResource, segment: string, fn: IFunction): IResource {
    const integration = new LambdaIntegration(fn, { proxy: true });
    const resource = parent.addResource(segment);
    resource.addMethod("ANY", integration);
    resource.addProxy({ defaultIntegration: integration, anyMethod: true });
    for (const method of resource.node.findAll()) {
      if (method.node.id !== "ANY") continue;
      Validations.of(method).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "The dialect Lambda authenticates each SDK's own credential (API key header or SigV4) and scopes " +
          "every object to it.",
      });
      Validations.of(method).acknowledge({
        id: "AwsSolutions-COG4",
        reason: "SDK callers present API keys or SigV4 signatures, not Cognito tokens; the Lambda authenticates them.",
      });
    }
    return resource;
  }
}
