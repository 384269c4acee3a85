# node-gyp build of reelstream's own FAISS binding (operators/vectors/faissIndex.ts loads it).
# Built by deploy/local/setup/faissBinding.sh against Debian's static libfaiss (libfaiss-dev).
# libfaiss.a leaves BLAS, LAPACK and OpenMP unresolved: they must be linked here, or the first
# BLAS call (IVF training, exact search with 20+ queries) kills the process (sgemm_ undefined).
{
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
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-fopenmp", "-Wall", "-Wextra"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-l:libfaiss.a", "-llapack", "-lblas", "-lgomp"]
    }
  ]
}
