#ifndef KAFKA_CRC_H
#define KAFKA_CRC_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of len bytes at data, continuing from crc (0 to start).
uint32_t tributary_crc32c(uint32_t crc, const void *data, size_t len);

#endif
