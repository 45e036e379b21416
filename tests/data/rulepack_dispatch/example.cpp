#include <functional>
#include <vector>
struct Shape { virtual ~Shape() = default; virtual double area(double x) const = 0; };
struct Square final : Shape { double area(double x) const override { return x * x; } };
double total(const Shape* shape, const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += shape->area(x);
  return sum;
}
double total_sq(const Square& sq, const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += sq.area(x);
  return sum;
}
double each(const std::vector<const Shape*>& shapes, double x) {
  double sum = 0;
  for (const Shape* s : shapes) sum += s->area(x);
  return sum;
}
double apply(const std::function<double(double)>& f, const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += f(x);
  return sum;
}
double by_ref(const Shape& s, const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += s.area(x);
  return sum;
}
double by_value_final(Square sq, const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += sq.area(x);
  return sum;
}
