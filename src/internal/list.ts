/**
 * An intrusive doubly linked list: nodes carry their own links, so push, shift and remove are O(1) and
 * allocate nothing. A node is in at most one list, ever (it is not put back once out): it is in it while
 * it has a `prev`, or is its head. (No field of its own says so: every field costs a waiter's hand-off.)
 */

export interface ListNode {
  prev: this | null;
  next: this | null;
}

export class LinkedList<N extends ListNode> {
  head: N | null = null;
  tail: N | null = null;
  size = 0;

  push(node: N): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Takes the head out; written out rather than through `remove`, as it is every hand-off's hot path. */
  shift(): N | null {
    const node = this.head;
    if (node === null) return null;
    const next = node.next;
    this.head = next;
    if (next === null) this.tail = null;
    else next.prev = null;
    node.next = null;
    this.size--;
    return node;
  }

  /** Removes `node` if it is in this list; returns whether it was. */
  remove(node: N): boolean {
    if (node.prev === null && this.head !== node) return false;
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = null;
    this.size--;
    return true;
  }
}
