# SPDX-License-Identifier: MIT
# A producer and a consumer over a bounded queue; the consumer gives up
# after 0.1 s without an item. The twin of pc.c.
import asyncio


async def producer(q, n):
    for i in range(n):
        await asyncio.sleep(0.01)
        await q.put(i)
    print("producer: done")


async def consumer(q):
    total = 0
    while True:
        try:
            async with asyncio.timeout(0.1):
                item = await q.get()
        except TimeoutError:
            print(f"consumer: idle, total {total}")
            return total
        total += item


async def main():
    q = asyncio.Queue(maxsize=4)
    async with asyncio.TaskGroup() as g:
        g.create_task(producer(q, 10))
        c = g.create_task(consumer(q))
    print(f"main: {c.result()}")

asyncio.run(main())
