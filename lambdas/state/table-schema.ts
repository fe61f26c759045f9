/** The table's key schema; the CDK construct and the local emulator create the table from it. */
export const tableSchema = {
  partitionKey: "pk",
  tenantIndex: "byTenant",
  tenantIndexPartitionKey: "gsi1pk",
  tenantIndexSortKey: "gsi1sk",
  ttlAttribute: "ttl",
  /**
   * A sparse index of the batches the gateway still owes work (core's `watch`): from creation until their end
   * was published. The reconciler reads it instead of scanning the table.
   */
  watchIndex: "byWatch",
  watchIndexPartitionKey: "watch",
} as const;
