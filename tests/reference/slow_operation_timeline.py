"""Runs slow_operation.py on a virtual clock (the selector's wait moves the
loop's clock on instead of waiting) and records each step of its tasks: which
task ran, when. Prints the program's output, then the timeline as
`slow_operation --timeline` draws it (one column per run, the seconds since
the start modulo 10 above, a row per task in order of its first run).
usage: python3 slow_operation_timeline.py slow_operation.py"""
import asyncio, asyncio.tasks, runpy, selectors, sys, time

class Clock:
    now = 0.0

class VirtualSelector(selectors.DefaultSelector):
    def select(self, timeout=None):
        if timeout:                       # nothing else can happen: jump
            Clock.now += timeout
        return super().select(0)

class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__(VirtualSelector())
    def time(self):
        return Clock.now

runs = []                                 # (task, seconds since the start)

class RecordedTask(asyncio.tasks._PyTask):
    """asyncio's Python Task, noting each step of the demo's own coroutines."""
    def _Task__step(self, exc=None):
        coro = self.get_coro()
        name = getattr(coro, '__name__', '')
        if name == 'main':
            runs.append(('main', Clock.now))
        elif name == 'slow_operation':
            runs.append(('slow_operation %d' % coro.cr_frame.f_locals['n'], Clock.now))
        return super()._Task__step(exc)

asyncio.tasks.Task = RecordedTask
time.time = lambda: 1e9 + Clock.now       # the program's own clock, virtual too
asyncio.set_event_loop_policy(None)
asyncio.DefaultEventLoopPolicy._loop_factory = VirtualLoop
runpy.run_path(sys.argv[1], run_name='__main__')

lanes = []
for label, _ in runs:
    if label not in lanes:
        lanes.append(label)
w = max([7] + [len(l) + 1 for l in lanes])
print()
print('step'.ljust(w) + ''.join(str(i % 10) for i in range(len(runs))))
print('time'.ljust(w) + ''.join(str(int(t) % 10) for _, t in runs) + '  (seconds since the start)')
for lane in lanes:
    print(lane.ljust(w) + ''.join('#' if l == lane else '.' for l, _ in runs))
