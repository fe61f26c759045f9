import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { RetryableError } from "../core/errors";
import type { BusEvent, EventBus } from "../core/ports";

/** The gateway's event bus on EventBridge (the stack's own bus, EVENT_BUS_NAME). */
export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async put(event: BusEvent): Promise<void> {
    const { FailedEntryCount, Entries } = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: event.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            Resources: event.resources,
          },
        ],
      }),
    );
    // PutEvents answers 200 with failed entries (throttling, an internal failure): retried by the task's caller.
    if (FailedEntryCount) {
      const entry = Entries?.find((e) => e.ErrorCode);
      throw new RetryableError(`EventBridge did not take the event: ${entry?.ErrorCode} ${entry?.ErrorMessage ?? ""}`);
    }
  }
}
