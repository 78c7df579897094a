/** The rlock contract, on the Redis tier (agents are child processes). */
import { rlockContract } from "../contract/rlock.contract.ts";
import { redisTier } from "./tier.ts";

rlockContract(redisTier());
