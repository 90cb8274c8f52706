"""The essay's Python 3.4-style countdown (borrowed there from curio's
tutorial): generator-based coroutines on asyncio's loop. @asyncio.coroutine is
gone from 3.11; @types.coroutine is the same generator-based coroutine."""
import asyncio
import types

@types.coroutine
def countdown(number, n):
    while n > 0:
        print('T-minus', n, '({})'.format(number))
        yield from asyncio.sleep(1)
        n -= 1

loop = asyncio.new_event_loop()
tasks = [
    loop.create_task(countdown("A", 2)),
    loop.create_task(countdown("B", 3))]
loop.run_until_complete(asyncio.wait(tasks))
loop.close()
