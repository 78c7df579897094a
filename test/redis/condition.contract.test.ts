/** The condition contract, on the Redis tier (agents are child processes). */
import { conditionContract } from "../contract/condition.contract.ts";
import { redisTier } from "./tier.ts";

conditionContract(redisTier());
