#pragma once
#include <atomic>
#include <cstddef>
#include <vector>

class Arena {
 public:
  char* Allocate(std::size_t bytes);
  std::size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }
 private:
  char* ptr_ = nullptr;
  std::size_t left_ = 0;
  std::vector<char*> blocks_;
  std::atomic<std::size_t> usage_{0};
};

struct Node {
  int key;
  std::atomic<Node*> next{nullptr};
};

class SkipList {
 public:
  explicit SkipList(Arena* arena) : arena_(arena) {}
  void Insert(int key);
  bool Contains(int key) const;
 private:
  Arena* arena_;
  Node* head_ = nullptr;
  std::atomic<int> height_{1};
};

class MemTable {
 public:
  void Add(int key);
  bool Get(int key) const { return table_.Contains(key); }
  std::size_t Usage() const { return arena_.MemoryUsage(); }
 private:
  int refs_ = 0;
  Arena arena_;
  SkipList table_{&arena_};  // @memtable
};
