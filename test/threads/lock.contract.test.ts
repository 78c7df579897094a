/** The Lock contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { lockContract } from "../contract/lock.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
lockContract(threadsTier);
