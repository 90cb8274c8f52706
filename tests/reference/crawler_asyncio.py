"""The tutorial's crawler on asyncio itself: the loop's socket helpers
(sock_connect, sock_sendall, sock_recv) and tasks; no Future, no callback and
no selector in user code.
usage: python3 crawler_asyncio.py PORT [PORT ...]   (slow poetry servers on 127.0.0.1)"""
import asyncio, socket, sys, time

async def fetch(port):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await loop.sock_connect(sock, ('127.0.0.1', port))
    await loop.sock_sendall(sock, b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
    response = []
    chunk = await loop.sock_recv(sock, 1024)
    while chunk:
        response.append(chunk)
        chunk = await loop.sock_recv(sock, 1024)
    sock.close()
    print('port %d: %d bytes' % (port, len(b''.join(response))))

async def main():
    start = time.time()
    await asyncio.wait([asyncio.ensure_future(fetch(int(port))) for port in sys.argv[1:]])
    print('total %.1f s' % (time.time() - start))

asyncio.run(main())
