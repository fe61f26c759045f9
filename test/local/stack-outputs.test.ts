import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackOutputs } from "../../local/table";

/** CloudFormation's DescribeStacks answer (query protocol, XML) for one stack, or its error for another name. */
const describeStacks = (outputs: Record<string, string>) => `<DescribeStacksResponse
  xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
  <StackId>arn:aws:cloudformation:eu-central-1:123456789012:stack/FinOpsGateway/abc</StackId>
  <StackName>FinOpsGateway</StackName><StackStatus>CREATE_COMPLETE</StackStatus>
  <CreationTime>2026-12-01T00:00:00Z</CreationTime><Outputs>${Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
    .join("")}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;

describe("npm run keys/costs -- --stack NAME", () => {
  let server: Server;
  let client: CloudFormationClient;
  const requested: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        const name = new URLSearchParams(body).get("StackName") ?? "";
        requested.push(name);
        if (name === "FinOpsGateway") {
          response.writeHead(200, { "content-type": "text/xml" });
          response.end(
            describeStacks({ TableName: "gw-table", CredentialsKmsKey: "arn:aws:kms:eu-central-1:1:key/k" }),
          );
        } else if (name === "NotAGateway") {
          response.writeHead(200, { "content-type": "text/xml" });
          response.end(describeStacks({ Other: "x" }));
        } else {
          response.writeHead(400, { "content-type": "text/xml" });
          response.end(
            "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>" +
              `<Message>Stack with id ${name} does not exist</Message></Error></ErrorResponse>`,
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = new CloudFormationClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("finds the table and key in the stack's outputs, and the stack's own region from its id", async () => {
    await expect(stackOutputs("FinOpsGateway", client)).resolves.toEqual({
      region: "eu-central-1",
      tableName: "gw-table",
      credentialsKmsKey: "arn:aws:kms:eu-central-1:1:key/k",
    });
    expect(requested).toContain("FinOpsGateway");
  });

  it("says what is wrong with a missing stack or one that is not a gateway", async () => {
    await expect(stackOutputs("Nope", client)).rejects.toThrow(/Stack Nope was not found.*AWS_REGION/);
    await expect(stackOutputs("NotAGateway", client)).rejects.toThrow(/has no TableName output/);
  });
});
