import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frontDoors } from "../../lambdas/dialects/front-doors";
import { startTestGateway } from "../support/gateway";

/**
 * A base URL outside every mount (a typo, a mount of another gateway) is a 404 naming each mount and the SDK it
 * serves, raised by each SDK as its own not-found error — what the API's root mock answers in AWS.
 */
describe("a base URL outside every mount", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({ auth: "keys" });
  });
  afterAll(() => gateway.stop());

  const namesEveryMount = (message: string) => {
    for (const door of Object.values(frontDoors)) expect(message).toContain(`/${door.mount} for ${door.callers}`);
  };

  it("is the OpenAI SDK's NotFoundError, naming every mount", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/oai/v1`, apiKey: "fops-any", maxRetries: 0 });
    const error = await client.files.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    namesEveryMount((error as Error).message);
  });

  it("is the Anthropic SDK's NotFoundError", async () => {
    const client = new Anthropic({ baseURL: `${gateway.url}/claude`, apiKey: "fops-any", maxRetries: 0 });
    const error = await client.messages.batches.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as Error).message).toContain("/anthropic for the Anthropic SDK");
  });

  it("is the GenAI SDK's ApiError with status 404", async () => {
    const client = new GoogleGenAI({ apiKey: "fops-any", httpOptions: { baseUrl: `${gateway.url}/gemini` } });
    const error = await client.batches.list().then(
      (pager) => pager.page,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as Error).message).toContain("/genai for the Google GenAI SDK");
  });

  it("is answered at the root itself too", async () => {
    const response = await fetch(`${gateway.url}/`);
    expect(response.status).toBe(404);
    namesEveryMount(((await response.json()) as { error: { message: string } }).error.message);
  });
});
