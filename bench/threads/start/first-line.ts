/** The body of a started thread, in TypeScript (run through tsx): its first line stamps the time (../start.ts). */
export default function firstLine(stamp: Float64Array): void {
  stamp[0] = Number(process.hrtime.bigint());
}
