// SPDX-License-Identifier: MIT
// coro_serial.cpp -- printf to Serial, and the end of a sketch that
// finishes (coro_arduino.h).
#include <Arduino.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include <stdio.h>

#include "coro_arduino.h"

static FILE serial_out;

static int serial_putc(char c, FILE *f)
{
    (void)f;
    Serial.write((uint8_t)c);
    return 0;
}

extern "C" void coro_serial_stdout(void)
{
    fdev_setup_stream(&serial_out, serial_putc, NULL, _FDEV_SETUP_WRITE);
    stdout = stderr = &serial_out;
}

extern "C" void coro_arduino_halt(void)
{
    Serial.flush();
    cli();
    set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    sleep_enable();
    for (;;)
        sleep_cpu();
}
