// Runs seq-cst-default/bad.cpp before and after its memory-order fixes, with the threads each
// pattern is written for (a flag handed over, a spin lock, a lock-free stack, reference
// counts); every thread is joined before its results are printed, so they are exact.
#include "bad.cpp"

#include <chrono>
#include <cstdio>

int main() {
    for (int n : {0, 1, 250}) {
        g_hits = 0;
        std::printf("count_hits(%d) %llu\n", n, (unsigned long long)count_hits(n));
    }

    for (int v : {7, 42}) {
        g_ready = false;
        int got = 0;
        std::thread c([&] { got = consume(); });
        std::thread p([v] { produce(v); });
        p.join();
        c.join();
        std::printf("handed over %d\n", got);
    }
    std::printf("poll before %d\n", poll());
    std::thread pub([] { publish(5); });
    pub.join();
    std::printf("poll after %d payload %d\n", poll(), g_payload);

    int shared = 0;
    long guarded = 0;
    {
        std::vector<std::thread> ts;
        for (int t = 0; t < 4; ++t)
            ts.emplace_back([&shared, &guarded, t] {
                for (int i = 0; i < 2000; ++i) {
                    locked_add(shared, t + 1);
                    ttas_lock();
                    guarded += i % 7;
                    ttas_unlock();
                }
            });
        for (auto& t : ts) t.join();
    }
    std::printf("spin lock %d ttas %ld\n", shared, guarded);
    {
        // a waiter that finds the lock taken spins on the inner load until it is released
        ttas_lock();
        std::atomic<bool> started{false};
        std::thread waiter([&] {
            started = true;
            ttas_lock();
            guarded += 1000;
            ttas_unlock();
        });
        while (!started) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ttas_unlock();
        waiter.join();
    }
    std::printf("ttas after a waiter %ld\n", guarded);

    {
        std::vector<Node> nodes(4 * 500);
        std::vector<std::thread> ts;
        for (int t = 0; t < 4; ++t)
            ts.emplace_back([&nodes, t] {
                for (int i = 0; i < 500; ++i) {
                    Node* n = &nodes[t * 500 + i];
                    n->value = t * 1000 + i;
                    push(n);
                }
            });
        for (auto& t : ts) t.join();
        long count = 0, sum = 0;
        for (Node* n = g_head.load(); n; n = n->next) {
            ++count;
            sum += n->value;
        }
        std::printf("stack %ld nodes, sum %ld\n", count, sum);
    }

    {
        Shared* s = new Shared;
        s->payload = 9;
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; ++t) retain(s);
        for (int t = 0; t < 3; ++t)
            ts.emplace_back([s] {
                for (int i = 0; i < 100; ++i) {
                    retain(s);
                    release(s);
                }
                release(s);
            });
        for (auto& t : ts) t.join();
        std::printf("shared refs %d payload %d\n", s->refs.load(), s->payload);
        release(s);  // the last one frees it (ASan reports a leak or a double free otherwise)
    }

    {
        Buffer* b = new Buffer;
        b->ref();
        b->ref();
        b->ref();
        b->ref();
        b->drop_borrowed();
        int count = b->unref_count();
        bool old = b->unref_old();
        bool last = b->unref_last();
        std::printf("buffer unref_count %d unref_old %d unref_last %d\n", count, old, last);
        b->unref();  // frees it
    }

    bool first = try_enter0();
    bool second = try_enter1();
    g_want0 = false;
    g_want1 = false;
    bool third = try_enter1();
    bool fourth = try_enter0();
    std::printf("dekker %d %d %d %d\n", first, second, third, fourth);

    for (long v : {0L, 5L})
        std::printf("free_functions(%ld) %ld\n", v, free_functions(v));
    masks();
    masks();
    std::printf("mask %u\n", g_mask.load());
    legacy();
    std::printf("legacy %ld\n", g_legacy);

    int plain = 3;
    std::atomic<int> slots[3];
    for (auto& s : slots) s = 10;
    through_ref(plain, slots, 2);
    std::printf("through_ref %d %d %d %d\n", plain, slots[0].load(), slots[1].load(), slots[2].load());
    std::printf("use_stats %llu\n", (unsigned long long)use_stats());
    std::atomic<int> a{4}, b{8};
    int old = bump(a, &b);
    std::printf("bump %d %d %d\n", old, a.load(), b.load());
    Meter m;
    m.tick();
    std::printf("meter ok\n");
}
