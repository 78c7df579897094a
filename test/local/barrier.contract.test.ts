/** The Barrier contract, on the local tier. */
import { barrierContract } from "../contract/barrier.contract.ts";
import { localTier } from "./tier.ts";

barrierContract(localTier);
