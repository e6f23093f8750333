cmd_Release/obj.target/kiln/native/gemm.o := cc -o Release/obj.target/kiln/native/gemm.o ../native/gemm.c '-DNODE_GYP_MODULE_NAME=kiln' '-DUSING_UV_SHARED=1' '-DUSING_V8_SHARED=1' '-DV8_DEPRECATION_WARNINGS=1' '-D_GLIBCXX_USE_CXX11_ABI=1' '-D_FILE_OFFSET_BITS=64' '-D_LARGEFILE_SOURCE' '-D__STDC_FORMAT_MACROS' '-DOPENSSL_NO_PINSHARED' '-DOPENSSL_THREADS' '-DNAPI_VERSION=8' '-DBUILDING_NODE_EXTENSION' -I/usr/include/node -I/usr/src -I/usr/deps/openssl/config -I/usr/deps/openssl/openssl/include -I/usr/deps/uv/include -I/usr/deps/zlib -I/usr/deps/v8/include  -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -m64 -O3 -fno-omit-frame-pointer -std=c11 -O3 -fno-math-errno -Wall -Wextra -Wno-unused-parameter -MMD -MF ./Release/.deps/Release/obj.target/kiln/native/gemm.o.d.raw   -c
Release/obj.target/kiln/native/gemm.o: ../native/gemm.c \
 ../native/gemm_kernels.h ../native/kiln.h
../native/gemm.c:
../native/gemm_kernels.h:
../native/kiln.h:
