import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

/** An id of the gateway's shape that names nothing. */
const unknownId = "zzzzzzzzzzzzzzzzzzzzzzzz";

describe("a cursor that names nothing is refused under the name its SDK gave it (F23)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it.each([
    ["/anthropic/v1/files?before_id=file_", { "x-api-key": "sk-cursor" }, "before_id"],
    ["/anthropic/v1/files?after_id=file_", { "x-api-key": "sk-cursor" }, "after_id"],
    ["/genai/v1beta/batches?pageToken=", { "x-goog-api-key": "sk-cursor" }, "pageToken"],
    ["/genai/v1beta/files?pageToken=", { "x-goog-api-key": "sk-cursor" }, "pageToken"],
    ["/openai/files?after=file-", { authorization: "Bearer sk-cursor" }, "after"],
  ])("%s…", async (path, headers, name) => {
    const response = await fetch(`${gateway.url}${path}${unknownId}`, { headers });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(`Invalid '${name}'`);
  });
});
