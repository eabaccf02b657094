/*
 * cilkit_blocks.h - read a file in big blocks, optionally in a thread
 * ahead of the caller, for parsers that work in place.
 *
 * The caller parses records straight out of a block.  A record cut by
 * the end of a block is carried: the bytes left of the old block are
 * put in front of the new one (each block has a margin for them), so
 * that the caller always sees whole records in one piece, at the cost of
 * copying less than one record per block.  With a thread, the reads
 * (the kernel's copy from the page cache) overlap the parsing.
 */
#ifndef CILKIT_BLOCKS_H
#define CILKIT_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cilkit_blocks;

/*
 * Blocks of the file fd (which stays the caller's) from offset off, of
 * at least block bytes each, with room for a carry of up to margin
 * bytes; read in a thread of its own when thread is set (and one can be
 * started).  NULL without memory.
 */
struct cilkit_blocks *cilkit_blocks_new(int fd, off_t off, size_t block,
    size_t margin, bool thread);

/*
 * Move to the next block.  *p and *len describe what the caller sees
 * (both 0 before the first call); the last carry bytes of it (at most
 * margin) are kept in front of the new block.  Returns the number of new
 * bytes, with *p and *len updated; 0 at the end of the file, or when a
 * read failed (its errno in *err, else 0 there): the view keeps the
 * carried bytes then, and every later call returns 0 again.
 */
size_t cilkit_blocks_next(struct cilkit_blocks *b, const unsigned char **p,
    size_t *len, size_t carry, int *err);

/* Stop the thread and free b (NULL is allowed). */
void cilkit_blocks_free(struct cilkit_blocks *b);

#endif /* CILKIT_BLOCKS_H */
