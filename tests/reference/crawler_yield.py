"""The tutorial's first coroutine crawler: Future + Task + a selector loop, and
one generator per fetch that yields each Future it waits for (`yield f`),
before the tutorial factors it into connect / read / read_all with `yield
from` (crawler_coro.py).
usage: python3 crawler_yield.py PORT [PORT ...]   (slow poetry servers on 127.0.0.1)"""
import socket, sys, time
from selectors import DefaultSelector, EVENT_READ, EVENT_WRITE

selector = DefaultSelector()
stopped = False
pending = set()

class Future:
    def __init__(self):
        self.result = None
        self._callbacks = []
    def add_done_callback(self, fn):
        self._callbacks.append(fn)
    def set_result(self, result):
        self.result = result
        for fn in self._callbacks:
            fn(self)

class Task:
    def __init__(self, coro):
        self.coro = coro
        f = Future()
        f.set_result(None)
        self.step(f)
    def step(self, future):
        try:
            next_future = self.coro.send(future.result)
        except StopIteration:
            return
        next_future.add_done_callback(self.step)

def fetch(address):
    global stopped
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect(address)
    except BlockingIOError:
        pass
    f = Future()
    def on_connected():
        f.set_result(None)
    selector.register(sock.fileno(), EVENT_WRITE, on_connected)
    yield f
    selector.unregister(sock.fileno())
    sock.send(b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
    response = b''
    while True:
        f = Future()
        def on_readable():
            f.set_result(sock.recv(1024))
        selector.register(sock.fileno(), EVENT_READ, on_readable)
        chunk = yield f
        selector.unregister(sock.fileno())
        if chunk:
            response += chunk
        else:
            break
    sock.close()
    print('port %d: %d bytes' % (address[1], len(response)))
    pending.remove(address)
    if not pending:
        stopped = True

def loop():
    while not stopped:
        for key, mask in selector.select():
            key.data()

if __name__ == '__main__':
    start = time.time()
    for port in sys.argv[1:]:
        address = ('127.0.0.1', int(port))
        pending.add(address)
        Task(fetch(address))
    loop()
    print('total %.1f s' % (time.time() - start))
