/** The RLock contract, on the local tier. */
import { rlockContract } from "../contract/rlock.contract.ts";
import { localTier } from "./tier.ts";

rlockContract(localTier);
