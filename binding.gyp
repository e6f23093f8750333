{
  "targets": [
    {
      "target_name": "kiln",
      "sources": [
        "native/addon.c",
        "native/batch_norm.c",
        "native/conv_direct.c",
        "native/conv_im2col.c",
        "native/conv_shifted.c",
        "native/cpu.c",
        "native/cross_entropy.c",
        "native/elementwise.c",
        "native/fused_addon.c",
        "native/gemm.c",
        "native/gemm_kernels.c",
        "native/layer_norm.c",
        "native/linear.c",
        "native/max_pool_avx512.c",
        "native/optim_update.c",
        "native/pooling.c",
        "native/reduce.c",
        "native/rnn_cell.c",
        "native/softmax.c",
        "native/thread_pool.c"
      ],
      "cflags_c": ["-std=c11", "-O3", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-psabi"],
      "cflags!": ["-O2"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread", "-lm"],
      "xcode_settings": {"OTHER_CFLAGS": ["-std=c11", "-O3"]}
    }
  ]
}
