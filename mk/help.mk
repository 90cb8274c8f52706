# SPDX-License-Identifier: MIT
# make help: the targets, one line each. Keep it in step with the mk files.
.PHONY: help
help:
	@echo 'coro $(CORO_VERSION): make TARGET [VARIABLE=value ...]'
	@echo ''
	@echo '  all (default)    the library (build/plain/libcoro.a) and the demos (build/demos/)'
	@echo '  test             every check (installs what it needs on Debian as root)'
	@echo '  check            one suite or test case: make check SUITE=wait CASE=gather [FLAVOUR=asan]'
	@echo '  demo             runs the demos'
	@echo '  bench            installs libev and libuv, builds and runs the benchmarks'
	@echo '  install          libcoro.a, libcoro.so.0, include/coro/, coro.pc, the CMake package'
	@echo '                   (PREFIX=/usr/local, DESTDIR, LIBDIR, INCLUDEDIR; CORO_USE_LABELS=1, CORO_NO_DOUBLE=1)'
	@echo '  uninstall        removes what install installed'
	@echo '  valgrind         the suites, demos and fuzz replays under memcheck'
	@echo '  tsan             the thread-safe wakeup under ThreadSanitizer'
	@echo '  fuzz             each fuzz target under libFuzzer (FUZZ_SECONDS=600); fuzz-NAME: one'
	@echo '  fuzz-merge       minimizes the new fuzz inputs into fuzz/corpus/'
	@echo '  fuzz-loop-asyncio  checks the loop fuzzer'"'"'s model against CPython'"'"'s asyncio'
	@echo '  soak             long bounded runs that must not grow in memory or fds'
	@echo '  embedded         the demos on an ATmega328P (simavr) and a Cortex-M3 (qemu)'
	@echo '  embedded-rt      the real-time loop on the ATmega328P'
	@echo '  arduino          the Arduino library folder build/arduino/coro/ (library.properties, library.json)'
	@echo '  docs             the API reference from the header comments (Doxygen) in build/docs/'
	@echo '  version          prints the version'
	@echo '  clean            removes build/'
	@echo '  help             this list'

.PHONY: version
version:
	@echo $(CORO_VERSION)
