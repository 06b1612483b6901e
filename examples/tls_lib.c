/* A dlopened library with __thread data (see tls_dlopen.c). SIZE longs of TLS, built with
 * the default (general dynamic) TLS model or -ftls-model=initial-exec. */
#ifndef SIZE
#define SIZE 4
#endif
__thread long tls_data[SIZE] = {1, 2, 3};
__thread int tls_counter = 100;

/* Touch the first, a middle and the last element; the sum shows each thread's copy
 * started from the initial image and kept its own changes. */
long tls_touch(int k) {
  tls_data[0] += k;
  tls_data[SIZE / 2] += 2 * k;
  tls_data[SIZE - 1] += 3 * k;
  tls_counter++;
  return tls_data[0] + tls_data[SIZE / 2] + tls_data[SIZE - 1] + tls_counter;
}

unsigned long tls_size(void) { return sizeof tls_data; }
