/** The Barrier contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { barrierContract } from "../contract/barrier.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
barrierContract(threadsTier);
