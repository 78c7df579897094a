"""CPython baselines for the threadkit benchmarks.

Usage: python3 baselines.py CASE OPS
Runs OPS operations of CASE (one operation is what the matching JavaScript workload calls one: a lock
cycle, a round trip, an item) and prints the nanoseconds they took, timed with time.perf_counter_ns
around the work only (start-up, imports and thread creation are not counted).
"""

import asyncio
import sys
import threading
import time
import queue

now = time.perf_counter_ns


def lock(n):
    lk = threading.Lock()
    acq, rel = lk.acquire, lk.release
    t0 = now()
    for _ in range(n):
        acq()
        rel()
    return now() - t0


def rlock10(n):
    lk = threading.RLock()
    acq, rel = lk.acquire, lk.release
    t0 = now()
    for _ in range(n):
        for _ in range(10):
            acq()
        for _ in range(10):
            rel()
    return now() - t0


def _two_threads(n, body):
    """Runs body(half) on two threads released together; returns the time until both are done."""
    start = threading.Barrier(3)
    ends = []

    def run():
        start.wait()
        body(n // 2)
        ends.append(now())

    ts = [threading.Thread(target=run) for _ in range(2)]
    for t in ts:
        t.start()
    start.wait()
    t0 = now()
    for t in ts:
        t.join()
    return max(ends) - t0


def lock_2threads(n):
    lk = threading.Lock()
    box = [0]

    def body(k):
        for _ in range(k):
            with lk:
                box[0] += 1

    ns = _two_threads(n, body)
    assert box[0] == n // 2 * 2
    return ns


def cond_pingpong(n):
    cond = threading.Condition()
    turn = [0]

    def side(me, other):
        for _ in range(n):
            with cond:
                while turn[0] != me:
                    cond.wait()
                turn[0] = other
                cond.notify()

    b = threading.Thread(target=side, args=(1, 0))
    b.start()
    t0 = now()
    side(0, 1)
    b.join()
    return now() - t0


def event_pingpong(n):
    ping, pong = threading.Event(), threading.Event()

    def echo():
        for _ in range(n):
            ping.wait()
            ping.clear()
            pong.set()

    b = threading.Thread(target=echo)
    b.start()
    t0 = now()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    b.join()
    return now() - t0


def _queue(n, make):
    q = queue.Queue(maxsize=100)
    items = [make(i) for i in range(1000)]

    def produce():
        put = q.put
        for i in range(n):
            put(items[i % 1000])

    p = threading.Thread(target=produce)
    t0 = now()
    p.start()
    get = q.get
    for _ in range(n):
        get()
    p.join()
    return now() - t0


def queue_objects(n):
    return _queue(n, lambda i: {"id": i, "payload": "x" * 32})


def queue_numbers(n):
    return _queue(n, lambda i: i)


def _aio(coro):
    return asyncio.run(coro)


async def _aio_lock(n):
    lk = asyncio.Lock()
    t0 = now()
    for _ in range(n):
        await lk.acquire()
        lk.release()
    return now() - t0


async def _aio_lock_contended(n):
    lk = asyncio.Lock()
    per = n // 100

    async def task():
        for _ in range(per):
            await lk.acquire()
            lk.release()

    t0 = now()
    await asyncio.gather(*(task() for _ in range(100)))
    return now() - t0


async def _aio_sem(n):
    sem = asyncio.Semaphore(10)
    per = n // 1000

    async def task():
        for _ in range(per):
            await sem.acquire()
            sem.release()

    t0 = now()
    await asyncio.gather(*(task() for _ in range(1000)))
    return now() - t0


async def _aio_queue(n):
    q = asyncio.Queue(maxsize=100)

    async def produce():
        for i in range(n):
            await q.put(i)

    t0 = now()
    p = asyncio.ensure_future(produce())
    for _ in range(n):
        await q.get()
    await p
    return now() - t0


async def _aio_event_pingpong(n):
    ping, pong = asyncio.Event(), asyncio.Event()

    async def echo():
        for _ in range(n):
            await ping.wait()
            ping.clear()
            pong.set()

    t0 = now()
    e = asyncio.ensure_future(echo())
    for _ in range(n):
        ping.set()
        await pong.wait()
        pong.clear()
    await e
    return now() - t0


async def _aio_barrier10(n):
    b = asyncio.Barrier(10)

    async def party():
        for _ in range(n):
            await b.wait()

    t0 = now()
    await asyncio.gather(*(party() for _ in range(10)))
    return now() - t0


CASES = {
    "lock": lock,
    "rlock10": rlock10,
    "lock_2threads": lock_2threads,
    "cond_pingpong": cond_pingpong,
    "event_pingpong": event_pingpong,
    "queue_objects": queue_objects,
    "queue_numbers": queue_numbers,
    "asyncio_lock": lambda n: _aio(_aio_lock(n)),
    "asyncio_lock_contended": lambda n: _aio(_aio_lock_contended(n)),
    "asyncio_sem": lambda n: _aio(_aio_sem(n)),
    "asyncio_queue": lambda n: _aio(_aio_queue(n)),
    "asyncio_event_pingpong": lambda n: _aio(_aio_event_pingpong(n)),
    "asyncio_barrier10": lambda n: _aio(_aio_barrier10(n)),
}

if __name__ == "__main__":
    print(CASES[sys.argv[1]](int(sys.argv[2])))
