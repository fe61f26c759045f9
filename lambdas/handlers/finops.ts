import { lambdaFrontDoor } from "../app/aws";
import { openAiDialect } from "../dialects/openai/dialect";

/** Lambda entry point of the `finops` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(openAiDialect, "finops");
