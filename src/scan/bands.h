/*
 * bands.h: a document's MinHash signature cut into LSH bands.
 *
 * The scan stage writes each document's band records; the LSH stage sorts them
 * into candidate pairs.
 */
#ifndef ND_BANDS_H
#define ND_BANDS_H

#include <stdint.h>

/* One band of one document's signature. */
typedef struct nd_band_record {
    uint64_t hash; /* of the band's rows */
    uint32_t band;
    uint32_t doc;
} nd_band_record;

/* Probability that two documents of similarity s become candidates. */
double nd_lsh_probability(double s, int bands, int rows);

/* The bands x rows (bands * rows <= num_perm) minimizing the sum of the false
 * positive and false negative probability integrals around threshold. */
void nd_lsh_params(double threshold, int num_perm, int *bands, int *rows);

/* The bands records of one signature (out holds bands entries). */
void nd_lsh_band_records(const uint32_t *sig, uint32_t doc, int bands, int rows,
                         nd_band_record *out);

#endif
