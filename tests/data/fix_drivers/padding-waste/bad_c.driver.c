/* Runs padding-waste/bad_c.c before and after its fixes (a field reorder; the sum's partial
   sums: the values are quarters, which every order adds exactly). */
#include "bad_c.c"

#include <stdio.h>

int main(void) {
  struct sensor_reading r[40];
  for (int i = 0; i < 40; ++i) {
    r[i].valid = i % 4 != 1;
    r[i].celsius = 0.25 * (i * 7 % 23) - 2.0;
    r[i].sensor_id = (uint16_t)(i * 9);
  }
  static const int sizes[] = {0, 1, 3, 8, 17, 40};
  for (int k = 0; k < 6; ++k)
    printf("n=%d average %a\n", sizes[k], average(r, sizes[k]));
  for (int i = 0; i < 40; ++i)
    printf("reading %d %a %u\n", r[i].valid, r[i].celsius, r[i].sensor_id);
  return 0;
}
