"""Runs sleeping_loop.py on run_virtual.py's virtual clock and records each
time the loop resumes a countdown (each coro.send): which task ran, when.
Prints the countdowns' output, then the timeline as `countdown --timeline`
draws it: one column per run, '#' in the row of the task that ran, the
seconds since the start (modulo 10) above.
usage: python3 sleeping_loop_timeline.py sleeping_loop.py"""
import datetime, time, runpy, sys

class Clock:
    now = datetime.datetime(2000, 1, 1)

class FakeDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return Clock.now

def fake_sleep(seconds):
    Clock.now += datetime.timedelta(seconds=seconds)

datetime.datetime = FakeDatetime
time.sleep = fake_sleep
ns = runpy.run_path(sys.argv[1])          # defines SleepingLoop, countdown

runs = []                                  # (label, seconds since the start)
start = Clock.now

class Recorded:
    """A coroutine that notes each time the loop resumes it."""
    def __init__(self, label, coro):
        self.label, self.coro = label, coro
    def send(self, value):
        runs.append((self.label, (Clock.now - start).total_seconds()))
        return self.coro.send(value)

countdown = ns['countdown']
loop = ns['SleepingLoop'](Recorded('A', countdown('A', 5)),
                          Recorded('B', countdown('B', 3, delay=2)),
                          Recorded('C', countdown('C', 4, delay=1)))
loop.run_until_complete()
print('Total elapsed time is', datetime.datetime.now() - start)
print()
print('step   ' + ''.join(str(i % 10) for i in range(len(runs))))
print('time   ' + ''.join(str(int(t) % 10) for _, t in runs) + '  (seconds since the start)')
for label in 'ABC':
    print(label + '      ' + ''.join('#' if l == label else '.' for l, _ in runs))
