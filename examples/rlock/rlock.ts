/** The body of ../rlock.ts's thread, with blocking calls (acquireSync), as Python's acquire() in a thread. */
import { currentThread, type Event, type Lock, type RLock } from "threadkit/threads";

export default function body(lock: Lock, rlock: RLock, held: Event, tried: Event): void {
  const me = currentThread().name;
  let num = 0;

  lock.acquireSync();
  num += 1;
  console.log(`Lock acquired by ${me}`);
  const again = lock.acquireSync({ timeout: 200 }); // Python's lock.acquire() here blocks forever
  console.log(
    `Lock acquired again by ${me}? ${again}: a Lock does not know its holder; gave up after 200 ms`,
  );
  num += 2;
  lock.release();

  rlock.acquireSync();
  num += 3;
  console.log(`RLock acquired by ${me}`);
  rlock.acquireSync(); // the owner comes in again at once
  console.log(`RLock acquired again by ${me}, at once`);
  num += 4;
  held.set();
  tried.waitSync();
  rlock.release();
  console.log(`RLock released once by ${me}; locked: ${rlock.locked()}`);
  rlock.release(); // one release per acquire
  console.log(`RLock released twice by ${me}; locked: ${rlock.locked()}`);
  console.log(`num = ${num}`);

  // Nested access, what an RLock is for: each level of a recursive walk takes the lock its caller holds.
  const tree: Tree = { name: "root", children: [{ name: "a", children: [{ name: "a1", children: [] }] }] };
  tree.children.push({ name: "b", children: [] });
  console.log(`nodes counted under the RLock: ${count(rlock, tree, 1)}`);
}

interface Tree {
  name: string;
  children: Tree[];
}

function count(rlock: RLock, node: Tree, depth: number): number {
  rlock.acquireSync();
  try {
    console.log(`${"  ".repeat(depth - 1)}${node.name}: RLock taken, ${depth} deep`);
    return 1 + node.children.reduce((sum, child) => sum + count(rlock, child, depth + 1), 0);
  } finally {
    rlock.release();
  }
}
