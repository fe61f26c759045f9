import { RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { CfnAccount } from "aws-cdk-lib/aws-apigateway";
import { ManagedPolicy, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

/**
 * API Gateway's account-level setting: the role it writes CloudWatch logs with. A stage with access logs cannot
 * be created until the account (per region) has one, and a fresh account has none. Created once per stack, however
 * many gateways the stack holds, and retained when the stack is deleted, because every REST API in the account
 * and region logs through it.
 */
export class ApiGatewayAccount extends Construct {
  public readonly role: Role;
  public readonly account: CfnAccount;

  /** The stack's one instance, created on first use. */
  static of(scope: Construct): ApiGatewayAccount {
    const stack = Stack.of(scope);
    const id = "FinOpsApiGatewayAccount";
    return (stack.node.tryFindChild(id) as ApiGatewayAccount | undefined) ?? new ApiGatewayAccount(stack, id);
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new Role(this, "CloudWatchRole", {
      description: "API Gateway's account-level role for writing CloudWatch logs (set by the FinOps gateway)",
      assumedBy: new ServicePrincipal("apigateway.amazonaws.com"),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName("service-role/AmazonAPIGatewayPushToCloudWatchLogs")],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new CfnAccount(this, "Account", { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
      reason:
        "AWS's managed policy for exactly this role: API Gateway needs it to create and write log groups for " +
        "every API of the account.",
    });
  }
}
