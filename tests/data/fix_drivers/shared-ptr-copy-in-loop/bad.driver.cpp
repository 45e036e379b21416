// Runs shared-ptr-copy-in-loop/bad.cpp's functions before and after its const-reference fixes.
#include "bad.cpp"

#include <cstdio>

static int repainted = 0;
void repaint(Shape& s) {
    s.layer += 1;
    ++repainted;
}

int main() {
    for (int n : {0, 1, 5, 16}) {
        std::vector<std::shared_ptr<Shape>> shapes;
        for (int i = 0; i < n; ++i)
            shapes.push_back(i % 4 == 3 ? nullptr : std::make_shared<Shape>(Shape{0.5 * i, i % 3}));
        std::vector<std::shared_ptr<Shape>> present;
        for (auto& s : shapes)
            if (s) present.push_back(s);
        std::shared_ptr<Shape> skip = present.empty() ? nullptr : present.front();
        std::printf("n=%d total_area %g\n", n, total_area(present));
        for (int layer : {0, 1, 2})
            std::printf("count_layer %d: %d\n", layer, count_layer(shapes, skip, layer));
        repaint_all(present);
        std::printf("repainted %d, layers after:", repainted);
        for (auto& s : present)
            std::printf(" %d", s->layer);
        std::printf(", use counts:");
        for (auto& s : present)
            std::printf(" %ld", s.use_count());
        std::printf("\n");

        std::vector<std::shared_ptr<Node>> nodes;
        for (int i = 0; i < n; ++i) {
            auto node = std::make_shared<Node>();
            node->key = i * 3 + 1;
            if (i % 2) {
                node->child = std::make_shared<Node>();
                node->child->key = 100 + i;
            }
            nodes.push_back(node);
        }
        std::printf("sum_keys %d first_keys %d sum_by_call %d\n", sum_keys(nodes), first_keys(nodes),
                    sum_by_call(nodes));
        std::printf("nodes still held:");
        for (auto& node : nodes)
            std::printf(" %d/%ld", node ? node->key : -1, node.use_count());
        std::printf("\n");

        std::vector<std::vector<std::shared_ptr<Shape>>> rows(3, present);
        rows[1].resize(present.size() / 2);
        std::printf("grid_area %g\n", grid_area(rows));
    }
}
