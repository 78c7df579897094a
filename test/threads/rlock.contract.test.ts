/** The RLock contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { rlockContract } from "../contract/rlock.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
rlockContract(threadsTier);
