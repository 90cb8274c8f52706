"""A process per fetch, each a blocking fetch: what a thread per fetch does,
with a whole process (its own memory) for each.
usage: python3 crawler_processes.py PORT [PORT ...]"""
import os, socket, sys, time

def fetch(port):
    sock = socket.socket()
    sock.connect(('127.0.0.1', port))
    sock.send(b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
    response = b''
    chunk = sock.recv(4096)
    while chunk:
        response += chunk
        chunk = sock.recv(4096)
    sock.close()
    print('port %d: %d bytes' % (port, len(response)), flush=True)

start = time.time()
children = []
for port in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        fetch(int(port))
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print('total %.1f s' % (time.time() - start))
