#pragma once
#include <atomic>
#include <cstddef>

// A single-producer single-consumer ring: the producer moves tail, the consumer head.
struct Ring {
  std::atomic<std::size_t> head{0};  // @head
  std::atomic<std::size_t> tail{0};
  int slots[64];

  bool Push(int v);
  bool Pop(int* v);
};
