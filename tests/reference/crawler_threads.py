"""The tutorial's first way round blocking: a thread per fetch, each a
blocking fetch; the threads wait at once, so the total is the slowest.
usage: python3 crawler_threads.py PORT [PORT ...]"""
import socket, sys, threading, time

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
    print('port %d: %d bytes' % (port, len(response)))

start = time.time()
threads = [threading.Thread(target=fetch, args=(int(port),)) for port in sys.argv[1:]]
for t in threads:
    t.start()
for t in threads:
    t.join()
print('total %.1f s' % (time.time() - start))
