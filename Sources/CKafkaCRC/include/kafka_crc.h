#ifndef KAFKA_CRC_H
#define KAFKA_CRC_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of len bytes at data, continuing from crc (0 to start).
/// Uses the CPU's CRC-32C instruction when available (SSE4.2 / ARMv8 CRC), else tributary_crc32c_sw.
uint32_t tributary_crc32c(uint32_t crc, const void *data, size_t len);

/// The same CRC-32C computed with the portable table (slice-by-8) implementation; for tests and benchmarks.
uint32_t tributary_crc32c_sw(uint32_t crc, const void *data, size_t len);

/// 1 when tributary_crc32c uses a hardware CRC-32C instruction, 0 when it falls back to the table.
int tributary_crc32c_hw_available(void);

#endif
