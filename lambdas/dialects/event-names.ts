/** The `source` of every event the gateway publishes on its bus. */
export const eventSource = "finops.gateway";

/** The `detail-type` of a batch's end, published once per batch when it completes, fails, expires or is cancelled. */
export const batchEndedType = "FinOps Batch Ended";
