/*
 * glibc allocator settings for a long harvest (docs/adr/0003-harvest-malloc-tuning.md).
 *
 * Node allocates every Buffer and ArrayBuffer with malloc. glibc serves a block above its mmap threshold
 * with its own mapping, but after freeing one it raises the threshold to that block's size (up to 32 MiB),
 * so from then on the archives, files and scan batches of a harvest are carved out of per-thread arenas,
 * whose freed space stays resident. A fixed threshold turns that dynamic rule off, and fewer arenas
 * leave fewer half-empty heaps behind the worker threads.
 *
 * Nothing here touches package content; the functions take and return numbers only.
 */
#include <node_api.h>
#include <stdlib.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

static int64_t int_arg(napi_env env, napi_value value) {
  int64_t out = 0;
  if (napi_get_value_int64(env, value, &out) != napi_ok) return -1;
  return out;
}

/* The two integer arguments both functions take; 0 when there are fewer than two. */
static int two_int_args(napi_env env, napi_callback_info info, int64_t *first, int64_t *second) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return 0;
  *first = int_arg(env, argv[0]);
  *second = int_arg(env, argv[1]);
  return 1;
}

static napi_value boolean(napi_env env, int flag) {
  napi_value out = NULL;
  napi_get_boolean(env, flag != 0, &out);
  return out;
}

/* tune(mmapThresholdBytes, arenaMax) -> true when glibc took both settings. */
static napi_value tune(napi_env env, napi_callback_info info) {
  int64_t threshold = 0, arenas = 0;
  if (!two_int_args(env, info, &threshold, &arenas)) return boolean(env, 0);
  if (threshold <= 0 || threshold > (1 << 30) || arenas <= 0 || arenas > 1024) return boolean(env, 0);
#ifdef __GLIBC__
  int ok = mallopt(M_MMAP_THRESHOLD, (int)threshold);
  ok = ok && mallopt(M_ARENA_MAX, (int)arenas);
  return boolean(env, ok);
#else
  return boolean(env, 0);
#endif
}

#ifdef __GLIBC__
static size_t mapped_blocks(void) {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
  return mallinfo2().hblks;
#else
  return (size_t)mallinfo().hblks;
#endif
}
#endif

/*
 * probe(bigBytes, smallBytes) -> whether a block of smallBytes gets its own mapping right after a block of
 * bigBytes was freed. Untuned glibc answers false once bigBytes > smallBytes (the threshold rose to bigBytes);
 * tuned, true, as long as the arena has no free space that large already (call it early, with blocks of MiBs).
 */
static napi_value probe(napi_env env, napi_callback_info info) {
  int64_t big = 0, small = 0;
  if (!two_int_args(env, info, &big, &small)) return boolean(env, 0);
  if (big <= 0 || small <= 0 || big > (64 << 20) || small > (64 << 20)) return boolean(env, 0);
#ifdef __GLIBC__
  void *block = malloc((size_t)big);
  if (block == NULL) return boolean(env, 0);
  ((volatile char *)block)[0] = 1;
  free(block);
  size_t before = mapped_blocks();
  void *second = malloc((size_t)small);
  if (second == NULL) return boolean(env, 0);
  size_t after = mapped_blocks();
  free(second);
  return boolean(env, after > before);
#else
  return boolean(env, 0);
#endif
}

static napi_status export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn = NULL;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  if (export_function(env, exports, "tune", tune) != napi_ok) return NULL;
  if (export_function(env, exports, "probe", probe) != napi_ok) return NULL;
  return exports;
}
