"""The tutorial's non-blocking socket without a selector: nothing blocks,
so the loop asks every socket again and again whether it is ready, and
burns a CPU doing so.
usage: python3 crawler_busy.py PORT [PORT ...]"""
import socket, sys, time

request = b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
start = time.time()
fetches = []
for port in sys.argv[1:]:
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.connect(('127.0.0.1', int(port)))
    except BlockingIOError:
        pass
    fetches.append({'port': int(port), 'sock': sock, 'sent': False, 'response': b''})
while fetches:
    for f in list(fetches):
        try:
            if not f['sent']:
                f['sock'].send(request)
                f['sent'] = True
            chunk = f['sock'].recv(4096)
        except OSError:     # not connected yet, or nothing to read yet
            continue
        if chunk:
            f['response'] += chunk
        else:
            f['sock'].close()
            print('port %d: %d bytes' % (f['port'], len(f['response'])))
            fetches.remove(f)
print('total %.1f s' % (time.time() - start))
