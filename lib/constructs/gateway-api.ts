import { Duration, Validations } from "aws-cdk-lib";
import {
  AccessLogFormat,
  AuthorizationType,
  AwsIntegration,
  ContentHandling,
  EndpointType,
  IdentitySource,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  PassthroughBehavior,
  RequestAuthorizer,
  ResponseTransferMode,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { stagingPrefix } from "../../lambdas/core/layout";
import {
  type FrontDoorId,
  type FrontDoorSpec,
  frontDoors,
  unknownPathAnswer,
} from "../../lambdas/dialects/front-doors";
import { type StagedRouteId, type StagedRouteSpec, stagedRoutes } from "../../lambdas/dialects/staged-routes";
import { stagedStoreFailed } from "../../lambdas/http/limits";
import { headerContextKey, stagedMetaHeader, stagedStatuses } from "../../lambdas/http/staged-contract";
import { ApiGatewayAccount } from "./api-gateway-account";
import { logicalIdOf } from "./staging-storage";

/** The Lambda behind each front door (lambdas/dialects/front-doors.ts). */
export type FrontDoorFunctions = { readonly [K in FrontDoorId]: IFunction };

/** Builds one value per front door, in the registry's order. */
export const mapFrontDoors = <T>(build: (id: FrontDoorId, door: FrontDoorSpec) => T): { [K in FrontDoorId]: T } =>
  Object.fromEntries((Object.keys(frontDoors) as FrontDoorId[]).map((id) => [id, build(id, frontDoors[id])])) as {
    [K in FrontDoorId]: T;
  };

/** Builds one value per staged route. */
export const mapStagedRoutes = <T>(
  build: (id: StagedRouteId, route: StagedRouteSpec) => T,
): { [K in StagedRouteId]: T } =>
  Object.fromEntries((Object.keys(stagedRoutes) as StagedRouteId[]).map((id) => [id, build(id, stagedRoutes[id])])) as {
    [K in StagedRouteId]: T;
  };

/** The authorizer Lambda of each staged route (lambdas/dialects/staged-routes.ts). */
export type StagedRouteFunctions = { readonly [K in StagedRouteId]: IFunction };

/** Props of {@link GatewayApi}. */
export interface GatewayApiProps {
  readonly functions: FrontDoorFunctions;
  /** A streaming door's buffered Lambda for HEAD (its row's `headEntry`). @default none */
  readonly headFunctions?: Partial<Record<FrontDoorId, IFunction>>;
  readonly stagedAuthorizers: StagedRouteFunctions;
  /** Where staged routes store their bodies (under `staged/uploads/`). */
  readonly bucket: IBucket;
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
        tracingEnabled: true,
      },
    });
    if (props.setAccountCloudWatchRole !== false) {
      this.api.deploymentStage.node.addDependency(ApiGatewayAccount.of(this).account);
    }
    // No REQUEST_TOO_LARGE gateway response: API Gateway answers a body over 10 MB with its own text whatever one
    // says (README "Limits"), so the stack does not pretend otherwise.

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
      this.mount(
        parent,
        segments.at(-1) ?? "",
        props.functions[id],
        frontDoors[id].streamsResponses,
        props.headFunctions?.[id],
      );
    }

    // A path outside every mount (a wrong base URL) is a 404 naming the mounts, answered by a mock: no Lambda runs.
    // The integration response has no selection pattern, so it is the answer whatever the mock's own status.
    const unknownPath = new MockIntegration({
      passthroughBehavior: PassthroughBehavior.WHEN_NO_MATCH,
      requestTemplates: { "application/json": '{"statusCode": 200}' },
      integrationResponses: [
        {
          statusCode: String(unknownPathAnswer.status),
          responseTemplates: { "application/json": unknownPathAnswer.body },
        },
      ],
    });
    const unknownPathResponses = { methodResponses: [{ statusCode: String(unknownPathAnswer.status) }] };
    for (const method of [
      this.api.root.addMethod("ANY", unknownPath, unknownPathResponses),
      this.api.root.addResource("{proxy+}").addMethod("ANY", unknownPath, unknownPathResponses),
    ])
      for (const id of ["AwsSolutions-APIG4", "AwsSolutions-COG4"])
        Validations.of(method).acknowledge({
          id,
          reason: "A fixed 404 naming the mounts, from a mock: nothing is read, stored or run for any caller.",
        });

    // A staged route's authorizer denies a caller whose credential fails; it says why in the dialect's envelope.
    this.api.addGatewayResponse("StagedRouteDenied", {
      type: ResponseType.ACCESS_DENIED,
      statusCode: "403",
      templates: { "application/json": "$context.authorizer.body" },
    });
    const stagingRole = new Role(this, "StagedRouteRole", {
      assumedBy: new ServicePrincipal("apigateway.amazonaws.com"),
      description: "Lets the API store the bodies of staged routes (upload chunks) under staged/uploads/",
    });
    stagingRole.addToPolicy(
      new PolicyStatement({
        actions: ["s3:PutObject"],
        resources: [props.bucket.arnForObjects(`${stagingPrefix.uploads}*`)],
      }),
    );
    props.bucket.encryptionKey?.grantEncrypt(stagingRole);
    Validations.of(stagingRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/${stagingPrefix.uploads}*]`,
      reason: `Chunks are keyed by unguessable upload ids under '${stagingPrefix.uploads}'; only PutObject, there.`,
    });
    for (const id of Object.keys(stagedRoutes) as StagedRouteId[]) {
      this.stage(id, stagedRoutes[id], props.stagedAuthorizers[id], props.bucket, stagingRole);
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

  /**
   * A staged route: the body goes from API Gateway straight into the bucket (an S3 PutObject integration, so no
   * Lambda's 6 MB limit), at the key the route's Lambda authorizer named from the request's headers; the answer is
   * the status, headers and body the authorizer named (lambdas/dialects/staged-routes.ts has the contract, and
   * local/http-adapter.ts runs the same one).
   */
  private stage(id: StagedRouteId, route: StagedRouteSpec, authorizerFn: IFunction, bucket: IBucket, role: Role): void {
    const mount = frontDoors[route.frontDoor].mount;
    const resource = `${mount}/${route.path}`
      .split("/")
      .reduce<IResource>(
        (parent, segment) => parent.getResource(segment) ?? parent.addResource(segment),
        this.api.root,
      );
    const authorizer = new RequestAuthorizer(this, `${upperFirst(id)}Authorizer`, {
      handler: authorizerFn,
      // Never cached: each chunk is admitted on its own offset or part number.
      identitySources: [IdentitySource.context("requestId")],
      resultsCacheTtl: Duration.seconds(0),
    });
    const overrides = route.responseHeaders
      .map(
        (name) =>
          `#if("$context.authorizer.${headerContextKey(name)}" != "")` +
          `#set($context.responseOverride.header.${name} = "$context.authorizer.${headerContextKey(name)}")#end`,
      )
      .join("\n");
    // The status the authorizer named, set as the documented form takes it (an integer literal): one branch per
    // status an admission or a refusal can carry.
    const status = stagedStatuses
      .map(
        (code) => `#if("$context.authorizer.status" == "${code}")#set($context.responseOverride.status = ${code})#end`,
      )
      .join("\n");
    const answer = `${status}\n${overrides}\n$context.authorizer.body`;
    const integration = new AwsIntegration({
      service: "s3",
      integrationHttpMethod: "PUT",
      path: `${bucket.bucketName}/${stagingPrefix.uploads}{session}/chunks/{chunk}`,
      options: {
        credentialsRole: role,
        passthroughBehavior: PassthroughBehavior.WHEN_NO_TEMPLATES,
        requestParameters: {
          "integration.request.path.session": "context.authorizer.session",
          "integration.request.path.chunk": "context.authorizer.chunk",
          [`integration.request.header.${stagedMetaHeader}`]: "context.authorizer.meta",
        },
        integrationResponses: [
          {
            statusCode: "200",
            contentHandling: ContentHandling.CONVERT_TO_TEXT,
            responseTemplates: { "application/json": answer },
            // What the bucket answers, unless the authorizer's answer names the header (its override wins). The
            // mapping reads the header in S3's own case (`ETag`): integration response names are case-sensitive.
            responseParameters: Object.fromEntries(
              route.storeHeaders.map((name) => [
                `method.response.header.${name}`,
                `integration.response.header.${name}`,
              ]),
            ),
          },
          {
            selectionPattern: "[45]\\d{2}",
            statusCode: "503",
            responseTemplates: { "application/json": JSON.stringify(stagedStoreFailed) },
          },
        ],
      },
    });
    const method = resource.addMethod(route.method, integration, {
      authorizationType: AuthorizationType.CUSTOM,
      authorizer,
      methodResponses: [
        {
          statusCode: "200",
          responseParameters: Object.fromEntries(
            route.storeHeaders.map((name) => [`method.response.header.${name}`, true]),
          ),
        },
        { statusCode: "503" },
      ],
    });
    Validations.of(method).acknowledge({
      id: "AwsSolutions-COG4",
      reason:
        "SDK callers present upload ids, API keys or SigV4 signatures; the route's Lambda authorizer checks them.",
    });
  }

  /**
   * `/{segment}` and `/{segment}/{proxy+}`, every method, to one Lambda (a static child such as `files` wins). A
   * streaming door's integration streams the Lambda's response (any size, up to the streaming timeout).
   */
  private mount(parent: IResource, segment: string, fn: IFunction, streams: boolean, head?: IFunction): IResource {
    const integration = new LambdaIntegration(fn, {
      proxy: true,
      ...(streams && { responseTransferMode: ResponseTransferMode.STREAM, timeout: streamingTimeout }),
    });
    const resource = parent.addResource(segment);
    resource.addMethod("ANY", integration);
    const proxy = resource.addProxy({ defaultIntegration: integration, anyMethod: true });
    // HEAD through a buffered integration, whose Content-Length API Gateway passes (a static method wins over ANY).
    if (head) {
      const buffered = new LambdaIntegration(head, { proxy: true });
      resource.addMethod("HEAD", buffered);
      proxy.addMethod("HEAD", buffered);
    }
    for (const method of resource.node.findAll()) {
      if (method.node.id !== "ANY" && method.node.id !== "HEAD") continue;
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

/** How long a streamed response may run (API Gateway allows up to 15 minutes for streamed integrations). */
export const streamingTimeout = Duration.minutes(15);

const upperFirst = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
