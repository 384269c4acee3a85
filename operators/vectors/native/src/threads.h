// OpenMP thread count for FAISS. omp_set_num_threads only affects the calling thread, and the
// binding's calls run on the main thread and on libuv's pool threads, so the count is kept here
// and applied at the start of every FAISS call, whichever thread makes it.
#pragma once

namespace reelstream {

/** Sets the thread count every later FAISS call uses (n >= 1). */
void setThreads(int n);

/** The thread count FAISS calls use (OpenMP's default until setThreads is called). */
int configuredThreads();

/** Applies the configured count to the calling thread; call before each FAISS call. */
void applyThreads();

}  // namespace reelstream
