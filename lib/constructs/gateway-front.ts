import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, Validations } from "aws-cdk-lib";
import type { RestApi } from "aws-cdk-lib/aws-apigateway";
import type { ICertificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  OriginRequestPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { RestApiOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { Construct } from "constructs";
import { viewerRequestCode, viewerRequestFile } from "../../lambdas/edge/viewer-request-code";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Props of {@link GatewayFront}. */
export interface GatewayFrontProps {
  /** The API every request goes on to (its stage is the origin path). */
  readonly api: RestApi;
  /**
   * Serve the gateway under this path of the domain (`/batch` → `https://llm.example.com/batch/openai`).
   * @default "" (at the root)
   */
  readonly basePath?: string;
  /** Your own domain names for the gateway (their DNS points at the distribution). @default the distribution's */
  readonly domainNames?: readonly string[];
  /** The certificate (in us-east-1) for `domainNames`. @default none: required with `domainNames` */
  readonly certificate?: ICertificate;
}

/** Status codes CloudFront would otherwise cache for 10 seconds (a 404 read before a PutObject, answered again). */
const uncachedErrors = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/**
 * What every SDK calls: a CloudFront distribution in front of the REST API. API Gateway drops a SigV4
 * `Authorization` header before a Lambda sees it, `Content-Length` with binary media types and `Content-MD5`, and
 * answers for its own host; the distribution's CloudFront Function (lambdas/edge/viewer-request.js, run locally by
 * local/front.ts) copies what the client sent into headers of the gateway's own first. Nothing is cached.
 */
export class GatewayFront extends Construct {
  public readonly distribution: Distribution;
  /** `https://{domain}{basePath}`, the gateway's `{GW}`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GatewayFrontProps) {
    super(scope, id);
    const basePath = (props.basePath ?? "").replace(/\/+$/, "").replace(/^(?=[^/])/, "/");
    const viewerRequest = new EdgeFunction(this, "ViewerRequest", {
      comment: "FinOps gateway: keeps the headers API Gateway drops (SigV4 Authorization, Host, Content-Length)",
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(viewerRequestCode(readFileSync(join(root, viewerRequestFile), "utf8"), basePath)),
    });
    this.distribution = new Distribution(this, "Distribution", {
      comment: "FinOps batch gateway",
      defaultBehavior: {
        origin: new RestApiOrigin(props.api, { readTimeout: Duration.seconds(60) }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // The API must get its own Host; the client's travels in the function's copy.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        // Bytes as the API answered them: S3 ranges and lengths, and ETags, stay true.
        compress: false,
        functionAssociations: [{ function: viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      errorResponses: uncachedErrors.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      ...(props.domainNames?.length && {
        domainNames: [...props.domainNames],
        certificate: props.certificate,
        minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      }),
    });
    const domain = props.domainNames?.[0] ?? this.distribution.distributionDomainName;
    this.url = `https://${domain}${basePath}`;
    const acknowledge = (rule: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id: `AwsSolutions-${rule}`, reason });
    acknowledge("CFR1", "A batch gateway for the owner's teams; restrict countries with a web ACL if wanted.");
    acknowledge("CFR2", "WAF is optional for this self-hosted gateway; a web ACL can be attached after deploy.");
    acknowledge("CFR3", "Every request is in the API's access log; the distribution caches nothing to log apart.");
    acknowledge(
      "CFR4",
      "With the distribution's own domain CloudFront sets the TLS policy; with `domainNames` it is TLS 1.2 (2021).",
    );
  }
}
