/** The barrier contract, on the Redis tier (agents are child processes). */
import { barrierContract } from "../contract/barrier.contract.ts";
import { redisTier } from "./tier.ts";

barrierContract(redisTier());
