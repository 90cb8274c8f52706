/* SPDX-License-Identifier: MIT */
/*
 * version.c -- coro_version(): the version the library was built as, from
 * coro.h's CORO_VERSION_* macros at the time of the build.
 */
#include "coro.h"

#define CORO__STR(x) #x
#define CORO__VERSION_STRING(a, b, c) CORO__STR(a) "." CORO__STR(b) "." CORO__STR(c)

const char *coro_version(void)
{
    return CORO__VERSION_STRING(CORO_VERSION_MAJOR, CORO_VERSION_MINOR, CORO_VERSION_PATCH);
}
