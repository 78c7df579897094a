/** A bare worker's entry (../start.ts's floor): its first line stamps the time. */
import { workerData } from "node:worker_threads";

workerData[0] = Number(process.hrtime.bigint());
