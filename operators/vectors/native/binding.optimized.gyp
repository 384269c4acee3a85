# node-gyp build of the optimised variant of reelstream's FAISS binding: the same sources as
# binding.gyp, against FAISS 1.7.3 built for AVX2 by FAISS's own cmake (libfaiss_avx2.a, its
# headers) and OpenBLAS (which carries LAPACK too) instead of Debian's generic libfaiss and
# reference BLAS. deploy/local/setup/faissOptimized.sh copies it into its cache directory, beside
# a link src -> this directory's src/ (gyp wants relative source paths), and passes the paths
# -Dfaiss_prefix=<the staged FAISS> -Dopenblas_dir=<Debian's openblas-openmp (or openblas-pthread) directory>. libopenblas.so.0 is
# linked by path and found at run time through the RUNPATH, not through Debian's alternatives
# (which keep libblas.so.3 and the default build on whatever they point to).
# Loaded instead of the default build with REELSTREAM_FAISS_BUILD=optimized.
{
  "variables": {
    "faiss_prefix%": "/usr",
    "openblas_dir%": "/usr/lib/x86_64-linux-gnu/openblas-openmp"
  },
  "targets": [
    {
      "target_name": "reelstream_faiss",
      "sources": [
        "src/addon.cc",
        "src/arrays.cc",
        "src/errors.cc",
        "src/faissIndex.cc",
        "src/idIndex.cc",
        "src/asyncWorkers.cc",
        "src/threads.cc"
      ],
      "include_dirs": ["<(faiss_prefix)/include", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "REELSTREAM_FAISS_BUILD_OPTIMIZED=1"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": [
        "-std=c++17", "-fexceptions", "-frtti", "-O3", "-mavx2", "-mfma", "-mf16c", "-mpopcnt",
        "-fopenmp", "-Wall", "-Wextra"
      ],
      "ldflags": ["-fopenmp", "-Wl,-rpath,<(openblas_dir)"],
      "libraries": ["<(faiss_prefix)/lib/libfaiss_avx2.a", "<(openblas_dir)/libopenblas.so.0", "-lgomp"]
    }
  ]
}
