// Runs padding-waste/bad_fix_safety.cpp before and after its field reorders. The safe ones must
// keep everything; the unsafe ones are unsafe because of what `use` does (bytes copied in and
// out, positional initialization, members built in another order, a default initializer
// reading another member), so its output is between the
// @unsafe-may-change / @end lines the test compares for safe fixes and rewrites only.
#include "bad_fix_safety.cpp"

static int ids = 0;
int next_id() { return ++ids; }

int main() {
    for (int n : {1, 2, 5}) {
        std::vector<Reading> readings(n);
        for (int i = 0; i < n; ++i) {
            readings[i].valid = i % 2;
            readings[i].celsius = i * 1.5;
            readings[i].sensor = -i;
        }
        for (const Reading& r : readings)
            std::printf("reading %d %a %d\n", r.valid, r.celsius, r.sensor);
        Label label;
        label.text = std::string(std::size_t(n), 't');
        std::printf("label %c %s %d %d\n", label.kind, label.text.c_str(), label.bold, label.size);
        Metric metric(0.5 * n, n);
        std::printf("metric %a\n", metric.get());
        {
            Scope scope;
            scope.elapsed = n;
            std::printf("scope %d %a %d\n", scope.state, scope.elapsed, scope.mode);
        }
    }
    const double bytes[4] = {1.5, 2.5, 3.5, 4.5};
    std::FILE* out = std::tmpfile();
    std::printf("@unsafe-may-change\n");
    use(bytes, out);  // what it returns adds `ticket.price`, never set: not printed
    Window window;  // `inner = border * 2` reads `border` before it is set once the fields move
    std::printf("window %d %a %d\n", window.border, window.width, window.inner);
    std::printf("@end\n");
    std::fclose(out);
}
