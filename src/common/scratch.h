/*
 * scratch.h: memory for sorts, bitmaps and the documents' array.
 */
#ifndef ND_SCRATCH_H
#define ND_SCRATCH_H

#include <stddef.h>

/* Scratch memory of n bytes for a sort (src/scratch.c): under a megabyte from malloc,
 * from a megabyte up mapped by itself and backed by huge pages where the kernel allows
 * (a growing malloc'd buffer was copied at every doubling and faulted in 4 KiB at a
 * time, which cost the passage stage a fifth of its time). Fresh pages are only taken
 * when touched; the contents are undefined (a freed mapping may be handed out again).
 * The same n is given back to remap and unmap. NULL when there is no memory. */
void *nd_scratch_map(size_t n);
/* The same, zeroed. */
void *nd_scratch_map_zeroed(size_t n);
/* Moves scratch of n bytes to new_n bytes (a mapping's pages, not copies of them; p NULL:
 * new scratch); NULL when it cannot, and p is then still valid. */
void *nd_scratch_remap(void *p, size_t n, size_t new_n);
/* Frees scratch of n bytes (kept for a later nd_scratch_map: the last two freed). */
void nd_scratch_unmap(void *p, size_t n);
/* Frees scratch of n bytes now, its pages back to the system. */
void nd_scratch_give_back(void *p, size_t n);
/* Gives back the scratch kept for later. */
void nd_scratch_release(void);

#endif
