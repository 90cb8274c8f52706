"""The essay: `yield from iterator` is, for the values, `for x in iterator:
yield x`; but yield from also passes what is sent (and thrown) down to the
iterator and hands back its return value."""

def inner():
    x = yield 1
    print('inner got', x)
    y = yield 2
    print('inner got', y)
    return 'inner done'

def outer_for():
    for x in inner():
        yield x

def outer_from():
    r = yield from inner()
    print('outer got', r)

for outer in (outer_for, outer_from):
    print('#', outer.__name__, 'values')
    print(list(outer()))
for outer in (outer_for, outer_from):
    print('#', outer.__name__, 'with send')
    g = outer()
    print(next(g))
    print(g.send('a'))
    try:
        g.send('b')
    except StopIteration:
        print('StopIteration')
