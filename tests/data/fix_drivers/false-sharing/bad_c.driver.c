/* Runs false-sharing/bad_c.c before and after its padding fix. */
#include "bad_c.c"

#include <pthread.h>
#include <stdio.h>

static struct ring_indices ring;

static void *pusher(void *arg) {
  (void)arg;
  for (int i = 0; i < 5000; ++i) ring_push(&ring);
  return NULL;
}

static void *popper(void *arg) {
  (void)arg;
  for (int i = 0; i < 3000; ++i) ring_pop(&ring);
  return NULL;
}

int main(void) {
  for (int round = 0; round < 3; ++round) {
    pthread_t a, b;
    pthread_create(&a, NULL, pusher, NULL);
    pthread_create(&b, NULL, popper, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("round %d head %lu tail %lu\n", round, (unsigned long)atomic_load(&ring.head),
           (unsigned long)atomic_load(&ring.tail));
  }
  struct ring_padded padded = {0};
  for (int i = 0; i < 7; ++i) padded_push(&padded);
  printf("padded %lu %lu\n", (unsigned long)atomic_load(&padded.head), (unsigned long)atomic_load(&padded.tail));
  return 0;
}
