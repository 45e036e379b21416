// Runs alloc-in-loop/bad.cpp before and after its fixes (a container hoisted out of the loop and
// cleared) and each arena rewrite: the functions the fixture only declares print what they are
// given, so a buffer that keeps old contents, loses some, or is freed too early shows.
#include "bad.cpp"

#include <cstdio>

void consume(const Item* item) { std::printf(" item(%ld,%ld)", item->id, item->weight); }
void consume_all(const std::vector<long>& ids) {
    std::printf(" all[");
    for (long id : ids) std::printf(" %ld", id);
    std::printf(" ]");
}
void consume_text(const std::string& text) { std::printf(" text'%s'", text.c_str()); }
void collect(std::vector<long>& out, long seed) {
    out.push_back(seed);
    out.push_back(seed * 2 + static_cast<long>(out.size()));
}
long checksum(std::span<const long> values) {
    long s = 0;
    for (long v : values) s = s * 31 + v;
    return s;
}
long index_of(std::string_view key) { return static_cast<long>(key.size() * 7 + (key.empty() ? 0 : key[0])); }

int main() {
    const std::vector<std::vector<std::vector<long>>> inputs = {
        {{1}},
        {{3, -1, 3}, {0}, {5, 4, 5, 6}},
        {{-2, 7, 7, 1, 9}, {2, 2}, {8, -3, 4, 0, 1, 1}, {10}},
    };
    for (const auto& rows : inputs) {
        int n = static_cast<int>(rows.size());
        std::printf("== %d rows\nraw_allocations", n);
        raw_allocations(n);
        const char* pool[] = {"alpha", "b", "a rather longer name", ""};
        std::vector<const char*> names(pool, pool + n);
        c_allocations(names);
        std::printf("\nlocal_containers");
        local_containers(rows);
        std::printf("\nconstructed_full");
        constructed_full(rows, static_cast<std::size_t>(n));
        std::vector<std::string> words = {"x", "yy", "z", "ww", "v", "u"};
        words.resize(static_cast<std::size_t>(2 * n));
        std::map<std::string, int> table = {{"x:0", 1}, {"z:2", 1}, {"v:4", 1}, {"yy:1", 1}, {"ww:3", 1}, {":5", 1}};
        std::printf("\nstrings");
        strings(words, table);
        std::printf("\nfilled_by_callee");
        filled_by_callee(n + 1);
        std::printf("\nnested");
        nested(rows);
        std::printf("\nthrough_lambda");
        through_lambda(n);
        std::printf("\narena_buffers");
        arena_buffers(rows, "p");
        arena_buffers(rows, "a much longer prefix than the small string buffer holds");
        std::printf("\nkept_rows");
        std::vector<Item*> items;
        auto kept = kept_rows(rows, items);
        for (const auto& k : kept) consume_all(k);
        for (Item* item : items) {
            consume(item);
            delete item;
        }
        std::printf("\n");
    }
}
