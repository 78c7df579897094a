/** The body of a started thread, as plain JavaScript: its first line stamps the time (../start.ts). */
export default function firstLine(stamp) {
  stamp[0] = Number(process.hrtime.bigint());
}
