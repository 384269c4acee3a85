# node-gyp build of faiss-node's single C++ source against the system faiss (libfaiss-dev).
# Copied into node_modules/faiss-node/ by ../faissNode.sh; FAISS_COMPAT_HEADER is passed in.
{
  "variables": { "faiss_compat_header%": "" },
  "targets": [
    {
      "target_name": "faiss-node",
      "sources": ["src/faiss.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=6", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-include", "<(faiss_compat_header)"],
      "libraries": ["-lfaiss", "-lgomp"]
    }
  ]
}
