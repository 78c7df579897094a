/** The event contract, on the Redis tier (agents are child processes). */
import { eventContract } from "../contract/event.contract.ts";
import { redisTier } from "./tier.ts";

eventContract(redisTier());
