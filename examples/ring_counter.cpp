// A small producer/consumer program written the quick way. Run `hotlint examples/`.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct QueueIndices {
    std::atomic<std::uint64_t> enqueue_pos{0};  // written by the producer
    std::atomic<std::uint64_t> dequeue_pos{0};  // written by the consumer
};

struct Order {
    bool active;
    double price;
    std::uint32_t id;
    double quantity;
    std::uint16_t venue;
};

std::atomic<bool> ready{false};
long payload = 0;

void produce(QueueIndices& q, int n) {
    for (int i = 0; i < n; ++i) {
        q.enqueue_pos.fetch_add(1, std::memory_order_relaxed);
    }
    payload = 42;
    ready = true;
}

double total_notional(const std::vector<Order>& orders) {
    double sum = 0;
    for (const Order& o : orders) {
        sum += o.price * o.quantity;
    }
    return sum;
}

std::size_t count_keys(const std::vector<Order>& orders) {
    std::unordered_map<std::string, int> seen;
    for (const Order& o : orders) {
        std::string key = "venue-" + std::to_string(o.venue);
        seen[key] += 1;
    }
    return seen.size();
}

int main() {
    QueueIndices q;
    std::thread producer(produce, std::ref(q), 1000);
    while (!ready.load(std::memory_order_acquire)) {
    }
    producer.join();
    std::vector<Order> orders(1000, Order{true, 1.5, 7, 2.0, 3});
    return static_cast<int>(total_notional(orders) + count_keys(orders) + payload);
}
