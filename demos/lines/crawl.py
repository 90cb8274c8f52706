# SPDX-License-Identifier: MIT
# Fetches a poem from each slow poetry server given by port, all at once, on
# streams; a server silent for 10 s is given up. The twin of crawl.c.
import asyncio
import sys


async def fetch(port):
    try:
        async with asyncio.timeout(10) as t:
            reader, writer = await asyncio.open_connection('127.0.0.1', port)
            writer.write(b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
            total = 0
            while chunk := await reader.read(1024):
                total += len(chunk)
                t.reschedule(asyncio.get_running_loop().time() + 10)
        writer.close()
        print(f'port {port}: {total} bytes')
    except (OSError, TimeoutError) as e:
        print(f'port {port}: {e!r}', file=sys.stderr)


async def main(ports):
    async with asyncio.TaskGroup() as g:
        for port in ports:
            g.create_task(fetch(port))

asyncio.run(main([int(p) for p in sys.argv[1:]]))
