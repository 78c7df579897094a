/** The Lock contract, on the local tier. */
import { lockContract } from "../contract/lock.contract.ts";
import { localTier } from "./tier.ts";

lockContract(localTier);
