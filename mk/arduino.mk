# SPDX-License-Identifier: MIT
# Arduino and PlatformIO (issue 14).
#
# make arduino     makes the Arduino library folder build/arduino/coro/:
#                  library.properties, library.json (PlatformIO), LICENSE,
#                  src/ (the generator core, the loop, the ways of waiting,
#                  the sync primitives, version and error texts, tick.h's
#                  signals and arduino/'s clock on micros(); nothing
#                  host-only: no io.c, no selectors) and examples/ (Blink,
#                  Generators, ButtonWake). Copy it into ~/Arduino/libraries/,
#                  or zip it for the IDE's "Add .ZIP Library".
# make test        builds each example against the real Arduino core for the
#                  Uno (Debian's arduino-core-avr, arduino-mk), runs it in
#                  simavr and checks its serial output (tests/arduino.sh).
ARDUINO_DEPS     = arduino-core-avr arduino-mk gcc-avr avr-libc simavr
ARDUINO_LIB      = $(B)/arduino/coro
ARDUINO_CORE     = base.h coro.h loop.h primitive.h wait.h internal.h scope.h sync.h version.c errors.c loop.c wait.c timeout.c \
                   taskgroup.c sync.c
ARDUINO_GLUE     = arduino/coro_arduino.h arduino/coro_arduino.c arduino/coro_serial.cpp \
                   embedded/avr/tick.h
ARDUINO_EXAMPLES = $(wildcard arduino/examples/*/*.ino)

.PHONY: arduino arduino-deps
arduino: $(ARDUINO_LIB)/library.properties

arduino-deps:
	@tests/deps.sh $(ARDUINO_DEPS)

$(ARDUINO_LIB)/library.properties: $(ARDUINO_CORE) $(ARDUINO_GLUE) embedded/avr/tick.c \
    arduino/library.properties arduino/library.json $(ARDUINO_EXAMPLES) demos/generators.c LICENSE
	rm -rf $(ARDUINO_LIB) && mkdir -p $(ARDUINO_LIB)/src
	cp $(ARDUINO_CORE) $(ARDUINO_GLUE) LICENSE $(ARDUINO_LIB)/src/
	mv $(ARDUINO_LIB)/src/LICENSE $(ARDUINO_LIB)/
	sed 's|"embedded/avr/tick.h"|"tick.h"|' embedded/avr/tick.c > $(ARDUINO_LIB)/src/tick.c
	cp -R arduino/examples $(ARDUINO_LIB)/
	sed 's/^int main(int argc, char \*\*argv)$$/int generators_main(int argc, char **argv)/' \
	    demos/generators.c > $(ARDUINO_LIB)/examples/Generators/generators_demo.c
	grep -q '^int generators_main(' $(ARDUINO_LIB)/examples/Generators/generators_demo.c
	sed 's/@VERSION@/$(CORO_VERSION)/' arduino/library.json > $(ARDUINO_LIB)/library.json
	sed 's/@VERSION@/$(CORO_VERSION)/' arduino/library.properties > $@

deps: arduino-deps
TEST_EXTRA   += arduino
TEST_SCRIPTS += tests/arduino.sh
