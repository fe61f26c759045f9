import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { isPublicAddress, publicAddressOf } from "../../lambdas/core/public-address";
import { checkWebhookUrl, deliverWebhook } from "../../lambdas/core/webhooks";
import { AesGcmSealer } from "../../lambdas/state/sealers";

describe("where a webhook may be delivered (F17)", () => {
  it.each([
    ["10.0.0.1", false],
    ["169.254.169.254", false],
    ["127.0.0.1", false],
    ["0.0.0.0", false],
    ["100.64.1.1", false],
    ["192.168.1.1", false],
    ["fd00::1", false],
    ["fe80::1", false],
    ["::1", false],
    ["::ffff:169.254.169.254", false],
    ["::ffff:a9fe:a9fe", false],
    ["64:ff9b::a9fe:a9fe", false],
    ["8.8.8.8", true],
    ["2606:4700:4700::1111", true],
  ])("%s is public: %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("refuses a URL of a plainly private address when it is set, and a name resolving to one when it is used", async () => {
    expect(() => checkWebhookUrl("https://10.0.0.1/hook")).toThrow(/public address/);
    expect(() => checkWebhookUrl("https://[::ffff:169.254.169.254]/")).toThrow(/public address/);
    expect(checkWebhookUrl("https://hooks.example.com/x")).toBe("https://hooks.example.com/x");
    await expect(publicAddressOf("localhost")).rejects.toThrow(/not a public address/);
    await expect(publicAddressOf("localhost", { allowLoopback: true })).resolves.toMatchObject({ family: 4 });
  });

  it("never connects to a non-public receiver in the deployed sender; locally, loopback receivers are called", async () => {
    let connections = 0;
    const server = createServer((_request, response) => response.end()).on("connection", () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const sealer = new AesGcmSealer(randomBytes(32));
    const hook = {
      tenant: "t",
      url: `http://localhost:${(server.address() as AddressInfo).port}/hook`,
      sealedSecret: await sealer.seal("whsec_AAAA"),
    };
    const message = { id: "m1", body: "{}" };
    await expect(deliverWebhook(hook, sealer, message)).rejects.toThrow(/was not called: localhost resolves to/);
    await expect(deliverWebhook({ ...hook, url: "https://10.0.0.1/hook" }, sealer, message)).rejects.toThrow(
      /10\.0\.0\.1 resolves to 10\.0\.0\.1, which is not a public address/,
    );
    expect(connections).toBe(0);
    await deliverWebhook(hook, sealer, message, Date.now, { allowLoopback: true });
    expect(connections).toBe(1);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
