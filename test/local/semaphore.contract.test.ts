/** The Semaphore and BoundedSemaphore contract, on the local tier. */
import { semaphoreContract } from "../contract/semaphore.contract.ts";
import { localTier } from "./tier.ts";

semaphoreContract(localTier);
