/** The lock contract, on the Redis tier (agents are child processes). */
import { lockContract } from "../contract/lock.contract.ts";
import { redisTier } from "./tier.ts";

lockContract(redisTier());
