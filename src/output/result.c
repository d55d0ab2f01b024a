/*
 * result.c: reading a run's result, and freeing it (see neardup.h).
 */
#include "output/result.h"

#include <stdlib.h>

void nd_result_free(nd_result *r)
{
    if (!r)
        return;
    free(r->pairs);
    free(r->members);
    free(r->kept_jaccard);
    free(r->passages);
    free(r->places);
    nd_text_store_free(&r->texts);
    free(r);
}

const nd_stats *nd_result_stats(const nd_result *r)
{
    return &r->stats;
}
size_t nd_result_n_pairs(const nd_result *r)
{
    return r->n_pairs;
}
const nd_pair *nd_result_pair(const nd_result *r, size_t i)
{
    return &r->pairs[i];
}
size_t nd_result_n_members(const nd_result *r)
{
    return r->n_members;
}
const nd_member *nd_result_member(const nd_result *r, size_t i)
{
    return &r->members[i];
}
double nd_result_member_jaccard(const nd_result *r, size_t i)
{
    return r->kept_jaccard[i];
}
size_t nd_result_n_passages(const nd_result *r)
{
    return r->n_passages;
}
const nd_passage *nd_result_passage(const nd_result *r, size_t i)
{
    return &r->passages[i];
}
size_t nd_result_n_passage_places(const nd_result *r)
{
    return r->n_places;
}
const nd_passage_place *nd_result_passage_place(const nd_result *r, size_t i)
{
    return &r->places[i];
}

size_t nd_result_n_memory_shares(const nd_result *r)
{
    (void)r;
    return ND_MEMORY_SHARES;
}

const char *nd_result_memory_share(const nd_result *r, size_t i, uint64_t *bytes)
{
    const char *names[ND_MEMORY_SHARES];
    uint64_t values[ND_MEMORY_SHARES];
    if (i >= nd_memory_plan_shares(&r->memory, names, values))
        return NULL;
    if (bytes)
        *bytes = values[i];
    return names[i];
}
