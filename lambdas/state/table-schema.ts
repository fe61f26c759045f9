/** The table's key schema; the CDK construct and the local emulator create the table from it. */
export const tableSchema = {
  partitionKey: "pk",
  tenantIndex: "byTenant",
  tenantIndexPartitionKey: "gsi1pk",
  tenantIndexSortKey: "gsi1sk",
  ttlAttribute: "ttl",
} as const;
