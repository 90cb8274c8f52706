"""The essay's gen/subgen two-way channel, with throw: an exception thrown
into gen goes down the yield from to subgen, which may catch it; one it does
not catch comes back up through gen and closes both."""
import inspect

class Oops(Exception):
    pass

def subgen():
    while True:
        try:
            x = yield
        except Oops:
            print('subgen caught Oops')
            x = 0
        yield x + 1

def gen():
    yield from subgen()

g = gen()
next(g)
print(g.send(1))                        # 2
next(g)
print(g.throw(Oops))                    # subgen caught Oops, then 1
next(g)
try:
    g.throw(ValueError)
except ValueError:
    print('ValueError came out of gen')
print(inspect.getgeneratorstate(g))     # GEN_CLOSED
