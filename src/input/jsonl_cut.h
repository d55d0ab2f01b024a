/*
 * jsonl_cut.h: a plain JSONL file -> the byte ranges of its lines, on all threads.
 *
 * A line holding only spaces, tabs and carriage returns is blank. Listing a
 * JSONL file means reading all of it to find its newlines: on one
 * thread that is a serial step before every scan. The file is cut into parts
 * at newlines, each part read and split by one thread, and the lines joined
 * in file order, so the documents and their line numbers are those of one
 * reader.
 */
#ifndef ND_JSONL_CUT_H
#define ND_JSONL_CUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A non-blank line: its bytes, without the newline, and its 1-based number. */
typedef struct nd_cut_line {
    uint64_t offset, length;
    uint32_t line;
} nd_cut_line;

/* Cuts the plain bytes [base_offset, base_offset + size) of fd into its non-blank lines
 * (their offsets from base_offset), on up to `threads`
 * threads; a UTF-8 byte order mark at the start is not part of the first line.
 * *lines (malloc'd) gets them in file order. Returns 0, ND_ENOMEM, or ND_EIO when a
 * read failed: then *lines holds the lines before the failure, *error_offset where it
 * was, and errno is set. */
int nd_cut_lines(int fd, uint64_t base_offset, uint64_t size, int threads, nd_cut_line **lines,
                 size_t *n, uint64_t *error_offset);

/* The same for JSONL held in memory (stdin, a decompressed file), on this thread. */
int nd_cut_buffer(const unsigned char *bytes, size_t len, nd_cut_line **lines, size_t *n);

/* The length of a UTF-8 byte order mark at the start of bytes[0..len), or 0. */
size_t nd_bom_length(const unsigned char *bytes, size_t len);

#endif
