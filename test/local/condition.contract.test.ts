/** The Condition contract, on the local tier. */
import { conditionContract } from "../contract/condition.contract.ts";
import { localTier } from "./tier.ts";

conditionContract(localTier);
