#include "memtable.h"

char* Arena::Allocate(std::size_t bytes) {
  if (bytes > left_) {
    char* block = new char[4096];
    blocks_.push_back(block);
    ptr_ = block;
    left_ = 4096;
    usage_.fetch_add(4096, std::memory_order_relaxed);
  }
  char* out = ptr_;
  ptr_ += bytes;
  left_ -= bytes;
  return out;
}

void SkipList::Insert(int key) {
  Node* n = new (arena_->Allocate(sizeof(Node))) Node{key};
  n->next.store(head_, std::memory_order_relaxed);
  head_ = n;
  if (key % 4 == 0) height_.store(height_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

bool SkipList::Contains(int key) const {
  for (int h = height_.load(std::memory_order_acquire); h > 0; --h) {
    if (head_ != nullptr && head_->key == key) return true;
  }
  return false;
}

void MemTable::Add(int key) { table_.Insert(key); }
