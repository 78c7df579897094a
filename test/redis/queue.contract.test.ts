/** The queue contract, on the Redis tier (agents are child processes). */
import { queueContract } from "../contract/queue.contract.ts";
import { redisTier } from "./tier.ts";

queueContract(redisTier());
