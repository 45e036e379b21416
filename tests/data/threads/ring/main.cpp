#include <thread>
#include "ring.h"

static void Produce(Ring* r, int n) {
  for (int i = 0; i < n; ++i) {
    while (!r->Push(i)) {
    }
  }
}

int main() {
  Ring ring;
  long sum = 0;
  std::thread producer(Produce, &ring, 1000000);  // @producer
  std::thread consumer([&ring, &sum] {  // @consumer
    int v = 0;
    for (int i = 0; i < 1000000; ++i) {
      while (!ring.Pop(&v)) {
      }
      sum += v;
    }
  });
  producer.join();
  consumer.join();
  return static_cast<int>(sum & 1);
}
