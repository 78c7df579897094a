/** The Event contract, on the local tier. */
import { eventContract } from "../contract/event.contract.ts";
import { localTier } from "./tier.ts";

eventContract(localTier);
