// SPDX-License-Identifier: MIT
// Blink: two LEDs blink at their own pace, each driven by a task of coro's
// loop that sleeps until its next deadline; between deadlines the CPU
// sleeps. Each toggle prints "led PIN on|off at MS ms" (the deadline).
//
//   async def led(pin, period):
//       while True:
//           toggle(pin)
//           await asyncio.sleep(period)     # here: until start + k * period
//
// Wiring: LEDs (with resistors) on pins 13 (the Uno's own LED) and 12.
// BLINK_RUN_MS > 0 stops after that long and prints how late the latest
// wake-up was (tests/arduino.sh builds it with 1900).
#include <coro_arduino.h>

#ifndef BLINK_RUN_MS
#define BLINK_RUN_MS 0
#endif

static struct coro_timer_slot timers[4];
static struct coro_loop loop_;
static coro_time start, latest;   // the start, and the latest wake-up past its deadline

struct led {
  struct coro_task task;          // first: the task's header
  uint8_t pin, on;
  uint16_t period_ms;
  coro_time next;                 // the next deadline
};

static int led_body(struct coro *co)
{
  struct led *f = (struct led *)co;
  CORO_BEGIN(co);
  pinMode(f->pin, OUTPUT);
  f->next = start;
  for (;;) {
    f->next += f->period_ms * CORO_MSEC;
    CORO_SLEEP_UNTIL(co, &loop_, f->next);
    if (coro_loop_time(&loop_) - f->next > latest)
      latest = coro_loop_time(&loop_) - f->next;
    f->on = !f->on;
    digitalWrite(f->pin, f->on ? HIGH : LOW);
    printf("led %u %s at %lu ms\n", f->pin, f->on ? "on" : "off",
           (unsigned long)((f->next - start) / CORO_MSEC));
  }
  CORO_END(co);
}

static struct led led13, led12;
static struct coro_handle stop;

static void on_stop(struct coro_handle *h)
{
  (void)h;
  coro_loop_stop(&loop_);
}

void setup()
{
  Serial.begin(115200);
  coro_serial_stdout();
  coro_loop_init(&loop_, timers, 4);
  coro_loop_set_clock(&loop_, &coro_clock_arduino);
  start = coro_loop_time(&loop_);
  led13.pin = 13; led13.period_ms = 400;
  led12.pin = 12; led12.period_ms = 250;
  coro_task_start(&led13.task, &loop_, led_body);
  coro_task_start(&led12.task, &loop_, led_body);
  if (BLINK_RUN_MS > 0) {
    coro_handle_init(&stop, on_stop);
    coro_loop_call_at(&loop_, &stop, start + (coro_time)BLINK_RUN_MS * CORO_MSEC);
  }
  coro_loop_run_forever(&loop_);
  printf("done: latest wake-up %lu us after its deadline\n", (unsigned long)(latest / CORO_USEC));
  coro_arduino_halt();
}

void loop() {}
