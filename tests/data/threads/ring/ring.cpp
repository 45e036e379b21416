#include "ring.h"

bool Ring::Push(int v) {
  std::size_t t = tail.load(std::memory_order_relaxed);
  if (t - head.load(std::memory_order_acquire) == 64) return false;
  slots[t % 64] = v;
  tail.store(t + 1, std::memory_order_release);
  return true;
}

bool Ring::Pop(int* v) {
  std::size_t h = head.load(std::memory_order_relaxed);
  if (h == tail.load(std::memory_order_acquire)) return false;
  *v = slots[h % 64];
  head.store(h + 1, std::memory_order_release);
  return true;
}
