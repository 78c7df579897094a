/**
 * The Lock, Semaphore, Queue and Condition contracts through the ioredis adapter: the test process and its
 * agents talk to the server with ioredis clients (the other contract files use node-redis).
 */
import { conditionContract } from "../contract/condition.contract.ts";
import { lockContract } from "../contract/lock.contract.ts";
import { queueContract } from "../contract/queue.contract.ts";
import { semaphoreContract } from "../contract/semaphore.contract.ts";
import { redisTier } from "./tier.ts";

const tier = redisTier({ client: "ioredis" });
lockContract(tier);
semaphoreContract(tier);
queueContract(tier);
conditionContract(tier);
