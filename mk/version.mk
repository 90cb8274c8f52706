# SPDX-License-Identifier: MIT
# The version: coro.h's CORO_VERSION_MAJOR/MINOR/PATCH are the one place it
# is written; coro.pc, the shared library's file names and CMakeLists.txt
# (which parses coro.h the same way) take it from there.
coro_version_part = $(shell sed -n 's/^\#define CORO_VERSION_$(1)  *\([0-9][0-9]*\).*/\1/p' coro.h)
CORO_VERSION_MAJOR := $(call coro_version_part,MAJOR)
CORO_VERSION := $(CORO_VERSION_MAJOR).$(call coro_version_part,MINOR).$(call coro_version_part,PATCH)

.PHONY: version
version:
	@echo $(CORO_VERSION)
