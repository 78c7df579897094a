/** The Semaphore contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { semaphoreContract } from "../contract/semaphore.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
semaphoreContract(threadsTier);
