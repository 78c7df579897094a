/** The Condition contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { conditionContract } from "../contract/condition.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
conditionContract(threadsTier);
