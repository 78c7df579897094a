/** The semaphore contract, on the Redis tier (agents are child processes). */
import { semaphoreContract } from "../contract/semaphore.contract.ts";
import { redisTier } from "./tier.ts";

semaphoreContract(redisTier());
