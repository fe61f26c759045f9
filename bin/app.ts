import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { GatewayStack } from "../lib/gateway-stack";

const app = new App();
new GatewayStack(app, "FinOpsGateway", {
  description: "FinOps batch gateway for LLM workloads",
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
