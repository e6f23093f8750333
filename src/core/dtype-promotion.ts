// torch.promote_types over Kiln's dtypes as a type-level table (PromotionTable), the static
// mirror of `promoteTypes` in dtype.ts; test/types/dtype-types.test.ts checks that the two agree
// for every pair. Types only: depends on nothing.

/** `promoteTypes` as a table, for dtypes known at compile time (rows and columns are symmetric). */
export interface PromotionTable {
  bool: {
    bool: "bool";
    uint8: "uint8";
    int8: "int8";
    int16: "int16";
    int32: "int32";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  uint8: {
    bool: "uint8";
    uint8: "uint8";
    int8: "int16";
    int16: "int16";
    int32: "int32";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  int8: {
    bool: "int8";
    uint8: "int16";
    int8: "int8";
    int16: "int16";
    int32: "int32";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  int16: {
    bool: "int16";
    uint8: "int16";
    int8: "int16";
    int16: "int16";
    int32: "int32";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  int32: {
    bool: "int32";
    uint8: "int32";
    int8: "int32";
    int16: "int32";
    int32: "int32";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  int64: {
    bool: "int64";
    uint8: "int64";
    int8: "int64";
    int16: "int64";
    int32: "int64";
    int64: "int64";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  float16: {
    bool: "float16";
    uint8: "float16";
    int8: "float16";
    int16: "float16";
    int32: "float16";
    int64: "float16";
    float16: "float16";
    bfloat16: "float32";
    float32: "float32";
    float64: "float64";
  };
  bfloat16: {
    bool: "bfloat16";
    uint8: "bfloat16";
    int8: "bfloat16";
    int16: "bfloat16";
    int32: "bfloat16";
    int64: "bfloat16";
    float16: "float32";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  float32: {
    bool: "float32";
    uint8: "float32";
    int8: "float32";
    int16: "float32";
    int32: "float32";
    int64: "float32";
    float16: "float32";
    bfloat16: "float32";
    float32: "float32";
    float64: "float64";
  };
  float64: {
    bool: "float64";
    uint8: "float64";
    int8: "float64";
    int16: "float64";
    int32: "float64";
    int64: "float64";
    float16: "float64";
    bfloat16: "float64";
    float32: "float64";
    float64: "float64";
  };
}
