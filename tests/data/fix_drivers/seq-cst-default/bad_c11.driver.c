/* Runs seq-cst-default/bad_c11.c before and after its memory-order fixes; threads are joined
   before anything is printed. */
#include "bad_c11.c"

#include <pthread.h>
#include <stdio.h>

static long g_guarded;

static void *recorder(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; ++i) {
    record_event();
    spin_lock();
    g_guarded += i % 5;
    spin_unlock();
  }
  return NULL;
}

static void *finisher(void *arg) {
  finish(*(int *)arg);
  return NULL;
}

static struct queue g_queue;

static void *claimer(void *arg) {
  long *sum = arg;
  for (int i = 0; i < 500; ++i) *sum += claim(&g_queue);
  return NULL;
}

int main(void) {
  pthread_t ts[3];
  for (int t = 0; t < 3; ++t) pthread_create(&ts[t], NULL, recorder, NULL);
  for (int t = 0; t < 3; ++t) pthread_join(ts[t], NULL);
  printf("events %lu guarded %ld\n", events(), g_guarded);

  int value = 77;
  pthread_t f;
  pthread_create(&f, NULL, finisher, &value);
  int got = wait_result();
  pthread_join(f, NULL);
  printf("result %d\n", got);

  long sums[2] = {0, 0};
  pthread_t c[2];
  for (int t = 0; t < 2; ++t) pthread_create(&c[t], NULL, claimer, &sums[t]);
  for (int t = 0; t < 2; ++t) pthread_join(c[t], NULL);
  printf("claimed tail %ld sum %ld\n", atomic_load(&g_queue.tail), sums[0] + sums[1]);

  _Atomic int cell = 9;
  reset(&cell);
  printf("cell %d\n", atomic_load(&cell));
  return 0;
}
