// Runs padding-waste/bad_form_feed.cpp before and after its field reorders.
#include "bad_form_feed.cpp"

#include <cstdio>

int main() {
    for (int i = 0; i < 64; ++i) {
        orders[i].active = i % 2;
        orders[i].price = i * 0.5;
        orders[i].quantity = 64 - i;
        tallies[i].open = char('a' + i % 26);
        tallies[i].total = i * 1.25;
        tallies[i].count = i * i;
    }
    Order copy[64];
    for (int i = 0; i < 64; ++i)
        copy[i] = orders[63 - i];
    for (int i = 0; i < 64; i += 7)
        std::printf("%d %a %d | %c %a %d\n", copy[i].active, copy[i].price, copy[i].quantity, tallies[i].open,
                    tallies[i].total, tallies[i].count);
}
