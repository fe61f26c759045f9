/** The FinOps gateway for CDK apps: add `FinOpsGateway` to your own stack, or deploy `GatewayStack` as it is. */

export type { FrontDoorFunctions } from "./constructs/gateway-api";
export { FinOpsGateway, type FinOpsGatewayProps } from "./finops-gateway";
export { GatewayStack, type GatewayStackProps } from "./gateway-stack";
