# SPDX-License-Identifier: MIT
# The asyncio twin of demos/upper_server.c and demos/upper_client.c:
#   python3 upper.py --port P [--max-clients N]     the server
#   python3 upper.py --client PORT < lines          the client
import asyncio, sys

async def handle(reader, writer):
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def serve(port, max_clients):
    done, served = asyncio.Event(), 0
    async def client(reader, writer):
        nonlocal served
        await handle(reader, writer)
        served += 1
        if served == max_clients:
            done.set()
    server = await asyncio.start_server(client, '127.0.0.1', port)
    print('listening on port', server.sockets[0].getsockname()[1], flush=True)
    await done.wait()
    server.close()

async def client(port):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    for line in sys.stdin.buffer:
        writer.write(line)
        await writer.drain()
        sys.stdout.buffer.write(await reader.readline())
    writer.close()
    await writer.wait_closed()

if sys.argv[1] == '--client':
    asyncio.run(client(int(sys.argv[2])))
else:
    asyncio.run(serve(int(sys.argv[2]), int(sys.argv[4]) if len(sys.argv) > 4 else 0))
