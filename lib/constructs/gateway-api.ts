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
import { tooLargeEnvelope, tooLargeMessage } from "../../lambdas/http/limits";

/** The Lambda behind each SDK's mount. */
export interface DialectFunctions {
  readonly openai: IFunction;
  readonly anthropic: IFunction;
  readonly genai: IFunction;
  readonly bedrock: IFunction;
  readonly bedrockFiles: IFunction;
}

/** Props of {@link GatewayApi}. */
export interface GatewayApiProps {
  readonly functions: DialectFunctions;
  /** Steady-state requests per second across the API. @default 100 */
  readonly throttlingRateLimit?: number;
  /** Burst of requests above the steady rate. @default 200 */
  readonly throttlingBurstLimit?: number;
  /** Stage name, the first path segment of the URL. @default "v1" */
  readonly stageName?: string;
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
    // API Gateway answers bodies over 10 MB itself; say so in one JSON envelope that every JSON SDK reads.
    this.api.addGatewayResponse("RequestTooLarge", {
      type: ResponseType.REQUEST_TOO_LARGE,
      statusCode: "413",
      templates: { "application/json": JSON.stringify(tooLargeEnvelope(tooLargeMessage)) },
    });

    const { functions } = props;
    const bedrock = this.mount(this.api.root, "bedrock", functions.bedrock);
    this.mount(bedrock, "files", functions.bedrockFiles);
    this.mount(this.api.root, "openai", functions.openai);
    this.mount(this.api.root, "anthropic", functions.anthropic);
    this.mount(this.api.root, "genai", functions.genai);

    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG2",
      reason:
        "Requests are proxied whole; each dialect Lambda validates its SDK's payload with a schema and answers in that SDK's error envelope.",
    });
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG3",
      reason:
        "WAF is optional for this self-hosted gateway; stage throttling is set, and a web ACL can be associated with the stage after deploy.",
    });
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG6",
      reason:
        "Access logs are on; execution logging needs the account-wide API Gateway CloudWatch role, which a user's stack should not take over.",
    });
  }

  /** `/{segment}` and `/{segment}/{proxy+}`, every method, to one Lambda (a static child such as `files` wins over the proxy). */
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
          "The dialect Lambda authenticates each SDK's own credential (API key header or SigV4) and scopes every object to it.",
      });
      Validations.of(method).acknowledge({
        id: "AwsSolutions-COG4",
        reason: "SDK callers present API keys or SigV4 signatures, not Cognito tokens; the Lambda authenticates them.",
      });
    }
    return resource;
  }
}
