/** The Queue, LifoQueue, PriorityQueue and SimpleQueue contracts, on the threads tier (agents are worker threads). */
import { after } from "node:test";
import { queueContract } from "../contract/queue.contract.ts";
import { queueKindsContract } from "../contract/queue-kinds.contract.ts";
import { terminateAll } from "./spawn.ts";
import { threadsTier } from "./tier.ts";

after(terminateAll);
queueContract(threadsTier);
queueKindsContract(threadsTier);
