/* SPDX-License-Identifier: MIT */
/*
 * replay.c -- runs a fuzz target over files, without libFuzzer.
 * `make test` links each fuzz/fuzz_*.c with this main (plain and under
 * ASan+UBSan, with gcc) and feeds it every file of the target's corpus
 * (fuzz/corpus/NAME/) and of its regressions (fuzz/regress/NAME/: inputs that
 * once failed). A target reports a failure by aborting; a clean pass prints
 * "NAME: N passed, 0 failed" for tests/run.sh.
 * Usage: replay FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 20];
    const char *name = strrchr(argv[0], '/');
    int i, n = 0;

    name = name ? name + 1 : argv[0];
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        size_t len;
        if (!f) {
            fprintf(stderr, "%s: cannot open %s\n", name, argv[i]);
            printf("%s: %d passed, 1 failed\n", name, n);
            return 1;
        }
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    printf("%s: %d passed, 0 failed\n", name, n);
    return 0;
}
