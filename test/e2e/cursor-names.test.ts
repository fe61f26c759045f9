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

describe("inline requests are named as their SDK names them (F22)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());
  const create = (params: Record<string, unknown>) =>
    fetch(`${gateway.url}/anthropic/v1/messages/batches`, {
      method: "POST",
      headers: { "x-api-key": "sk-inline-names", "content-type": "application/json" },
      body: JSON.stringify({
        requests: [
          {
            custom_id: "ok",
            params: { model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "hi" }] },
          },
          {
            custom_id: "bad",
            params: { model: "claude-haiku-4-5", messages: [{ role: "user", content: "hi" }], ...params },
          },
        ],
      }),
    });

  it.each([0, 1.5, -3])("max_tokens %s is answered as not a positive whole number, at requests.1", async (tokens) => {
    const response = await create({ max_tokens: tokens });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toMatch(/requests\.1\b/);
    expect(text).toContain("positive whole number");
    expect(text).not.toContain("required");
  });
});
