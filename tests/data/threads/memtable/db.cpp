#include <thread>
#include <vector>
#include "memtable.h"

// One writer thread adds every key; the readers only load the two atomics.
static void WriterLoop(MemTable* mem, int n) {
  for (int i = 0; i < n; ++i) mem->Add(i);
}

static long ReaderLoop(const MemTable* mem, int n) {
  long found = 0;
  for (int i = 0; i < n; ++i) found += mem->Get(i) + static_cast<long>(mem->Usage() & 1);
  return found;
}

int main() {
  MemTable mem;
  std::thread writer(WriterLoop, &mem, 100000);  // @writer-start
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) readers.emplace_back(ReaderLoop, &mem, 100000);
  writer.join();
  for (auto& r : readers) r.join();
}
