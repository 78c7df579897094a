/** The queue-kinds contract, on the Redis tier (agents are child processes). */
import { queueKindsContract } from "../contract/queue-kinds.contract.ts";
import { redisTier } from "./tier.ts";

queueKindsContract(redisTier());
