/** LIFO: entries are a stack in ENTRIES, the last put on top (./order.ts). */
import { ENTRY } from "./layout.ts";
import { Order } from "./order.ts";

export class Stack extends Order {
  constructor() {
    super(ENTRY);
  }

  tail(_puts: number, count: number): number {
    return count * ENTRY;
  }

  head(_takes: number, count: number): number {
    return (count - 1) * ENTRY;
  }
}
