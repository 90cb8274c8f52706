// SPDX-License-Identifier: MIT
// Generators: the generator examples of "How the heck does async/await work
// in Python 3.5?" -- eager and lazy ranges, send, yield from -- printed on
// Serial (115200 baud), line for line what CPython prints. The program is
// coro's demos/generators.c, unchanged but for its main's name
// (generators_demo.c here, made by `make arduino`).
#include <coro_arduino.h>

extern "C" int generators_main(int argc, char **argv);

void setup()
{
  static char name[] = "generators";
  static char *argv[] = { name, NULL };
  Serial.begin(115200);
  coro_serial_stdout();
  generators_main(1, argv);
  coro_arduino_halt();
}

void loop() {}
