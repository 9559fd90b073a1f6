// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), with ~ pre- and post-inversion:
// tributary_crc32c(0, "123456789", 9) == 0xE3069283.
//
// Hardware path: the CRC-32C instruction (x86-64 SSE4.2 `crc32`, ARMv8 `crc32c*`), chosen at run time.
// For large buffers three independent streams run interleaved (the instruction has a latency of about
// three cycles but can start one per cycle); their results are joined by multiplying the earlier
// stream's register by x^(8 * stream length) mod P, which is what appending that many zero bytes does
// to a raw (non-inverted) CRC register. That multiplication by a fixed constant is a table lookup
// (four 256-entry tables per constant, built at start-up).
//
// Portable path: slice-by-8 tables.

#include "kafka_crc.h"
#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

// ---------------------------------------------------------------------------------------------
// GF(2) arithmetic modulo P, reflected representation (bit 31 holds x^0, bit 0 holds x^31).

static uint32_t gf2_multiply(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (int i = 0; i < 32; i++) {
        if (a & 0x80000000u) product ^= b;   // coefficient of x^i in a
        a <<= 1;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;  // b *= x
    }
    return product;
}

// x^(8 * bytes) mod P: the operator "append `bytes` zero bytes" on a raw CRC register.
static uint32_t x_pow_8n(size_t bytes) {
    uint32_t result = 0x80000000u;       // x^0
    uint32_t square = 0x80000000u >> 8;  // x^8
    while (bytes) {
        if (bytes & 1) result = gf2_multiply(result, square);
        square = gf2_multiply(square, square);
        bytes >>= 1;
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Tables, built once.

static uint32_t slice_table[8][256];

#define LONG_BLOCK 8192   // bytes per stream in the long 3-way loop
#define SHORT_BLOCK 256   // bytes per stream in the short 3-way loop

static uint32_t shift_long[4][256];   // multiply by x^(8 * LONG_BLOCK)
static uint32_t shift_short[4][256];  // multiply by x^(8 * SHORT_BLOCK)

static int hw_available;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void build_shift_table(uint32_t table[4][256], size_t bytes) {
    uint32_t k = x_pow_8n(bytes);
    for (int byte = 0; byte < 4; byte++)
        for (uint32_t b = 0; b < 256; b++)
            table[byte][b] = gf2_multiply(k, b << (8 * byte));
}

static int detect_hw(void);

static void init_tables(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        slice_table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            slice_table[k][b] = (slice_table[k - 1][b] >> 8) ^ slice_table[0][slice_table[k - 1][b] & 0xFF];
    build_shift_table(shift_long, LONG_BLOCK);
    build_shift_table(shift_short, SHORT_BLOCK);
    hw_available = detect_hw();
}

static inline void ensure_init(void) { pthread_once(&init_once, init_tables); }

static inline uint32_t shift_by(const uint32_t table[4][256], uint32_t c) {
    return table[0][c & 0xFF] ^ table[1][(c >> 8) & 0xFF] ^ table[2][(c >> 16) & 0xFF] ^ table[3][c >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Portable slice-by-8.

static uint32_t crc32c_sw_raw(uint32_t c, const uint8_t *p, size_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (len && ((uintptr_t)p & 7)) {
        c = slice_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t w = load64(p) ^ c;
        c = slice_table[7][w & 0xFF] ^ slice_table[6][(w >> 8) & 0xFF] ^
            slice_table[5][(w >> 16) & 0xFF] ^ slice_table[4][(w >> 24) & 0xFF] ^
            slice_table[3][(w >> 32) & 0xFF] ^ slice_table[2][(w >> 40) & 0xFF] ^
            slice_table[1][(w >> 48) & 0xFF] ^ slice_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
#endif
    while (len--) c = slice_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

uint32_t tributary_crc32c_sw(uint32_t crc, const void *data, size_t len) {
    ensure_init();
    return ~crc32c_sw_raw(~crc, (const uint8_t *)data, len);
}

// ---------------------------------------------------------------------------------------------
// Hardware instruction, per architecture.

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_HW_CRC 1
#define HW_TARGET __attribute__((target("sse4.2")))
HW_TARGET static inline uint64_t hw_u64(uint64_t c, uint64_t v) { return _mm_crc32_u64(c, v); }
HW_TARGET static inline uint32_t hw_u8(uint32_t c, uint8_t v) { return _mm_crc32_u8(c, v); }
static int detect_hw(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

#elif defined(__aarch64__)
#include <arm_acle.h>
#define HAVE_HW_CRC 1
#define HW_TARGET __attribute__((target("crc")))
HW_TARGET static inline uint64_t hw_u64(uint64_t c, uint64_t v) { return __crc32cd((uint32_t)c, v); }
HW_TARGET static inline uint32_t hw_u8(uint32_t c, uint8_t v) { return __crc32cb(c, v); }
#if defined(__APPLE__)
static int detect_hw(void) { return 1; }
#elif defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
static int detect_hw(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) ? 1 : 0; }
#elif defined(__ARM_FEATURE_CRC32)
static int detect_hw(void) { return 1; }
#else
static int detect_hw(void) { return 0; }
#endif

#else
static int detect_hw(void) { return 0; }
#endif

#if defined(HAVE_HW_CRC)
// Raw register in, raw register out.
HW_TARGET static uint32_t crc32c_hw_raw(uint32_t crc, const uint8_t *p, size_t len) {
    uint64_t c0 = crc;
    while (len && ((uintptr_t)p & 7)) {
        c0 = hw_u8((uint32_t)c0, *p++);
        len--;
    }
    while (len >= 3 * LONG_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + LONG_BLOCK;
        do {
            c0 = hw_u64(c0, load64(p));
            c1 = hw_u64(c1, load64(p + LONG_BLOCK));
            c2 = hw_u64(c2, load64(p + 2 * LONG_BLOCK));
            p += 8;
        } while (p < end);
        c0 = shift_by(shift_long, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift_by(shift_long, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * LONG_BLOCK;
        len -= 3 * LONG_BLOCK;
    }
    while (len >= 3 * SHORT_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + SHORT_BLOCK;
        do {
            c0 = hw_u64(c0, load64(p));
            c1 = hw_u64(c1, load64(p + SHORT_BLOCK));
            c2 = hw_u64(c2, load64(p + 2 * SHORT_BLOCK));
            p += 8;
        } while (p < end);
        c0 = shift_by(shift_short, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift_by(shift_short, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * SHORT_BLOCK;
        len -= 3 * SHORT_BLOCK;
    }
    while (len >= 8) {
        c0 = hw_u64(c0, load64(p));
        p += 8;
        len -= 8;
    }
    while (len--) c0 = hw_u8((uint32_t)c0, *p++);
    return (uint32_t)c0;
}
#endif

uint32_t tributary_crc32c(uint32_t crc, const void *data, size_t len) {
    ensure_init();
#if defined(HAVE_HW_CRC)
    if (hw_available) return ~crc32c_hw_raw(~crc, (const uint8_t *)data, len);
#endif
    return ~crc32c_sw_raw(~crc, (const uint8_t *)data, len);
}

int tributary_crc32c_hw_available(void) {
    ensure_init();
    return hw_available;
}
