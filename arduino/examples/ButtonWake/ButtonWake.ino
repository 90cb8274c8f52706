// SPDX-License-Identifier: MIT
// ButtonWake: an interrupt wakes a task. The button on pin 2 (INT0, to
// ground; the internal pull-up holds it high) fires an ISR on each press;
// the ISR only raises a coro signal (two byte stores, no call into the
// loop), and the task waiting on the signal resumes with the number of
// presses since it last looked. Meanwhile the CPU sleeps: no polling.
//
//   async def on_button(presses):     # presses: an asyncio.Queue the ISR feeds
//       while True:
//           n = await presses.get()
//           print("button:", n, "press" if n == 1 else "presses")
//
// BUTTON_SIMULATE (tests/arduino.sh builds with it) presses the button in
// software -- INT0 fires on its pin even as an output -- once at 300 ms,
// once at 600 ms and twice at 900 ms, then stops and prints how long the
// slowest wake-up took after its press.
#include <coro_arduino.h>

static struct coro_timer_slot timers[4];
static struct coro_loop loop_;
static struct coro_signal button;
static unsigned long pressed_at, slowest;   // micros() of the last press; the slowest wake-up

static void on_press()          // an ISR: interrupts are off
{
  coro_signal_raise(&button);
}

struct waiter {
  struct coro_task task;
  unsigned n, total;
};

static int waiter_body(struct coro *co)
{
  struct waiter *f = (struct waiter *)co;
  CORO_BEGIN(co);
  for (;;) {
    CORO_SIGNAL_WAIT(co, &button, f->n);        // n = await the button
    if (micros() - pressed_at > slowest)
      slowest = micros() - pressed_at;
    printf("button: %u %s\n", f->n, f->n == 1 ? "press" : "presses");
    f->total += f->n;
#ifdef BUTTON_SIMULATE
    if (f->total >= 4)
      coro_loop_stop(&loop_);
#endif
  }
  CORO_END(co);
}

#ifdef BUTTON_SIMULATE
struct presser {
  struct coro_task task;
  uint8_t k, i;
};

static void press()
{
  pressed_at = micros();
  digitalWrite(2, LOW);           // the falling edge: the ISR runs here
  digitalWrite(2, HIGH);
}

static int presser_body(struct coro *co)
{
  struct presser *f = (struct presser *)co;
  CORO_BEGIN(co);
  for (f->k = 1; f->k <= 3; f->k++) {
    CORO_SLEEP(co, &loop_, 300 * CORO_MSEC);
    for (f->i = 0; f->i < (f->k == 3 ? 2 : 1); f->i++)
      press();
  }
  CORO_END(co);
}
static struct presser presser;
#endif

static struct waiter waiter;

void setup()
{
  Serial.begin(115200);
  coro_serial_stdout();
  coro_loop_init(&loop_, timers, 4);
  coro_loop_set_clock(&loop_, &coro_clock_arduino);
  coro_signal_init(&button, &loop_, NULL);
#ifdef BUTTON_SIMULATE
  pinMode(2, OUTPUT);
  digitalWrite(2, HIGH);
  coro_task_start(&presser.task, &loop_, presser_body);
#else
  pinMode(2, INPUT_PULLUP);
#endif
  attachInterrupt(digitalPinToInterrupt(2), on_press, FALLING);
  coro_task_start(&waiter.task, &loop_, waiter_body);
  coro_loop_run_forever(&loop_);
  printf("done: slowest wake-up %s1 ms after its press\n", slowest < 1000 ? "under " : "over ");
  coro_arduino_halt();
}

void loop() {}
