/** The Queue, LifoQueue, PriorityQueue and SimpleQueue contracts, on the local tier. */

import { queueContract } from "../contract/queue.contract.ts";
import { queueKindsContract } from "../contract/queue-kinds.contract.ts";
import { localTier } from "./tier.ts";

queueContract(localTier);
queueKindsContract(localTier);
