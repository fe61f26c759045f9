/**
 * What FOCUS files hold and where the daily delivery puts them: the columns, their types, and the report bucket's
 * key layout. Pure constants: the stack's Glue table is declared from them, so the table and the files agree.
 */

/** One FOCUS row: every column, `null` where it does not apply. */
export type FocusRow = Record<(typeof focusColumns)[number], string | number | null>;

/** The columns, FOCUS's own in its order (alphabetical), then the gateway's `x_` ones. */
export const focusColumns = [
  "AvailabilityZone",
  "BilledCost",
  "BillingAccountId",
  "BillingAccountName",
  "BillingAccountType",
  "BillingCurrency",
  "BillingPeriodEnd",
  "BillingPeriodStart",
  "CapacityReservationId",
  "CapacityReservationStatus",
  "ChargeCategory",
  "ChargeClass",
  "ChargeDescription",
  "ChargeFrequency",
  "ChargePeriodEnd",
  "ChargePeriodStart",
  "CommitmentDiscountCategory",
  "CommitmentDiscountId",
  "CommitmentDiscountName",
  "CommitmentDiscountQuantity",
  "CommitmentDiscountStatus",
  "CommitmentDiscountType",
  "CommitmentDiscountUnit",
  "ConsumedQuantity",
  "ConsumedUnit",
  "ContractedCost",
  "ContractedUnitPrice",
  "EffectiveCost",
  "HostProviderName",
  "InvoiceId",
  "InvoiceIssuerName",
  "ListCost",
  "ListUnitPrice",
  "PricingCategory",
  "PricingCurrency",
  "PricingCurrencyContractedUnitPrice",
  "PricingCurrencyEffectiveCost",
  "PricingCurrencyListUnitPrice",
  "PricingQuantity",
  "PricingUnit",
  "ProviderName",
  "PublisherName",
  "RegionId",
  "RegionName",
  "ResourceId",
  "ResourceName",
  "ResourceType",
  "ServiceCategory",
  "ServiceName",
  "ServiceProviderName",
  "ServiceSubcategory",
  "SkuId",
  "SkuMeter",
  "SkuPriceDetails",
  "SkuPriceId",
  "SubAccountId",
  "SubAccountName",
  "SubAccountType",
  "Tags",
  "x_BatchId",
  "x_BatchIds",
  "x_CostStatus",
  "x_Dialect",
  "x_Model",
  "x_OnDemandCost",
  "x_PricingSource",
  "x_RetryRun",
  "x_Saving",
  "x_TokenKind",
] as const;

/** The FOCUS data type of each column that is not a string (a Parquet file types its columns by them). */
export const focusColumnKinds: Partial<Record<(typeof focusColumns)[number], "decimal" | "datetime">> = {
  BilledCost: "decimal",
  BillingPeriodEnd: "datetime",
  BillingPeriodStart: "datetime",
  ChargePeriodEnd: "datetime",
  ChargePeriodStart: "datetime",
  CommitmentDiscountQuantity: "decimal",
  ConsumedQuantity: "decimal",
  ContractedCost: "decimal",
  ContractedUnitPrice: "decimal",
  EffectiveCost: "decimal",
  ListCost: "decimal",
  ListUnitPrice: "decimal",
  PricingCurrencyContractedUnitPrice: "decimal",
  PricingCurrencyEffectiveCost: "decimal",
  PricingCurrencyListUnitPrice: "decimal",
  PricingQuantity: "decimal",
  x_OnDemandCost: "decimal",
  x_Saving: "decimal",
};

/** A FOCUS datetime: ISO 8601 in UTC, to the second (`2026-12-01T00:00:00Z`). */
export const focusDateTime = (at: number | Date): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The partition column of the delivered files: the billing month, `YYYY-MM`. */
export const focusPartitionColumn = "billing_period";

/** The formats the delivery writes, each under its own prefix (a Glue table reads one format). */
export const focusReportFormats = ["parquet", "csv"] as const;
export type FocusReportFormat = (typeof focusReportFormats)[number];

/** The prefix of one format's files in the reports bucket (each month a `billing_period=YYYY-MM/` under it). */
export const focusReportPrefix = (format: FocusReportFormat): string => `focus/${format}/`;

/** The one file of a billing month (`YYYY-MM`) in a format: rewritten whole by each delivery. */
export const focusReportKey = (format: FocusReportFormat, month: string): string =>
  `${focusReportPrefix(format)}${focusPartitionColumn}=${month}/focus-${month}.${format}`;
