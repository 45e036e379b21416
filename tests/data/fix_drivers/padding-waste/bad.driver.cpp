// Runs padding-waste/bad.cpp before and after its field reorders: every field is set and read
// by name, so the values must survive any order (only sizeof may change, and is not printed).
#define main fixture_main
#include "bad.cpp"
#undef main

#include <cstdio>

int main() {
    for (int n : {0, 1, 5, 12}) {
        std::vector<Order> orders(n);
        for (int i = 0; i < n; ++i) {
            orders[i].active = i % 3 != 0;
            orders[i].price = 0.25 * (i + 1);
            orders[i].quantity = i * 2 - 3;
        }
        std::printf("n=%d total %a\n", n, total(orders));
        for (const Order& o : orders)
            std::printf("  order %d %a %d\n", o.active, o.price, o.quantity);

        Customer c;
        c.verified = n % 2;
        c.name = std::string(std::size_t(n), 'c');
        c.premium = n > 3;
        c.visits = std::uint32_t(n * 11);
        Customer copy = c;
        std::printf("customer %d %s %d %u\n", copy.verified, copy.name.c_str(), copy.premium, copy.visits);

        Sample s{};
        s.channel = std::uint8_t(n);
        for (int k = 0; k < 7; ++k)
            s.values[k] = n * 0.5 + k;
        s.flags = std::uint8_t(n * 3);
        std::printf("sample %u %a %a %u\n", s.channel, s.values[0], s.values[6], s.flags);

        Circle circle;
        const Shape& shape = circle;
        std::printf("circle %a shape %a\n", circle.area(), Shape().area() + shape.area());

        Account account;
        account.open = n > 0;
        account.id = n;
        std::printf("account %d %d %a\n", account.open, account.id, account.get());

        Packet p{};
        p.kind = 'k';
        p.version = char(n);
        p.sequence = std::int64_t(n) << 40;
        p.length = std::int16_t(n * 100);
        std::printf("packet %c %d %lld %d\n", p.kind, p.version, (long long)p.sequence, p.length);
    }
    entry_small.key = 'e';
    entry_small.value = 1.5;
    entry_ints.tag = 9;
    std::printf("entries %c %a %d; origin %c %a %d\n", entry_small.key, entry_small.value, entry_ints.tag, origin.tag,
                origin.x, origin.id);
}
