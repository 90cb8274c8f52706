"""The primer's Fab: first an iterator written by hand (a class whose
__next__ keeps its state in attributes), then the same as a generator."""

class Fab(object):
    def __init__(self, max):
        self.max = max
        self.n, self.a, self.b = 0, 0, 1
    def __iter__(self):
        return self
    def __next__(self):
        if self.n < self.max:
            r = self.b
            self.a, self.b = self.b, self.a + self.b
            self.n = self.n + 1
            return r
        raise StopIteration()

def fab(max):
    n, a, b = 0, 0, 1
    while n < max:
        yield b
        a, b = b, a + b
        n = n + 1

print('# Fab(5), the iterator by hand')
for n in Fab(5):
    print(n)
print('# fab(5), the generator')
for n in fab(5):
    print(n)
