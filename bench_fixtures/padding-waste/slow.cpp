// padding-waste, slow: an order book keeps its orders in a record whose fields were
// written in the order someone thought of them. Each 1-byte field before an 8-byte one
// costs 7 bytes of padding, so 23 bytes of data take 40, 17 of them padding. Scanning
// millions of orders streams the padding from memory too: 40 bytes per order, not 24.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../harness.h"

struct Order {
    bool active;
    std::int64_t price;     // in ticks
    char side;              // 'B' or 'S'
    std::int64_t quantity;
    std::uint8_t venue;
    std::int32_t account;
};

std::vector<Order> load_orders(std::size_t count) {
    bench::Rng rng(10);
    std::vector<Order> orders(count);
    for (Order& o : orders) {
        o.active = rng.below(4) != 0;
        o.price = 10'000 + rng.below(5'000);
        o.side = rng.below(2) != 0 ? 'B' : 'S';
        o.quantity = 1 + rng.below(1'000);
        o.venue = static_cast<std::uint8_t>(rng.below(8));
        o.account = static_cast<std::int32_t>(rng.below(100'000));
    }
    return orders;
}

struct Exposure {
    std::int64_t net = 0;       // price * quantity of active orders, buys minus sells
    std::uint64_t routing = 0;  // a digest of where the orders go
};

Exposure scan(const std::vector<Order>& orders) {
    Exposure e;
    for (const Order& o : orders) {
        const std::int64_t direction = o.side == 'B' ? 1 : -1;  // buys add, sells subtract
        e.net += direction * o.active * o.price * o.quantity;    // inactive orders add 0
        e.routing += static_cast<std::uint64_t>(o.account) * o.venue;
    }
    return e;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::vector<Order> orders = load_orders(mode.pick<std::size_t>(100'000, 8'000'000));
    const int scans = mode.pick(2, 6);
    bench::Checksum sum;

    return bench::run(
        [&] {
            for (int s = 0; s < scans; ++s) {
                const Exposure e = scan(orders);
                sum.add(static_cast<std::uint64_t>(e.net));
                sum.add(e.routing);
            }
        },
        [&] { return sum.value(); });
}
