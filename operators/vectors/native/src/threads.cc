#include "threads.h"

#include <omp.h>

#include <atomic>

namespace reelstream {

namespace {
std::atomic<int> threads{0};  // 0: not set, use OpenMP's default
}  // namespace

void setThreads(int n) { threads.store(n); }

int configuredThreads() {
  int n = threads.load();
  return n > 0 ? n : omp_get_max_threads();
}

void applyThreads() {
  int n = threads.load();
  if (n > 0 && omp_get_max_threads() != n) omp_set_num_threads(n);
}

}  // namespace reelstream
