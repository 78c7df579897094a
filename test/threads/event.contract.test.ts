/** The Event contract, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { eventContract } from "../contract/event.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
eventContract(threadsTier);
