/*
 * texts.c: the feed index's texts and their zstd dictionary (see texts.h).
 */
#define ZDICT_STATIC_LINKING_ONLY
#include "index/texts.h"

#include "index/writer.h"

#include <stdlib.h>
#include <zdict.h>

/* zstd's default level; a dictionary of 64 KiB (the size zstd's trainer suggests for
 * texts of a few KB is 100 KiB: 64 did as well on news here). */
#define TEXT_LEVEL 3
#define DICT_BYTES (64 << 10)

static int use_dict(nd_index *x, const void *dict, size_t len)
{
    x->cdict = ZSTD_createCDict(dict, len, TEXT_LEVEL);
    x->ddict = ZSTD_createDDict(dict, len);
    x->dict_id = ZSTD_getDictID_fromDict(dict, len);
    if (!x->cdict || !x->ddict || !x->dict_id) {
        nd_texts_close(x);
        return ND_ENOMEM;
    }
    return 0;
}

int nd_texts_refresh(nd_index *x, MDB_txn *txn)
{
    MDB_val k = {4, "dict"}, v;
    const int m = mdb_get(txn, x->meta, &k, &v);
    if (m == MDB_NOTFOUND) /* (or trained in a transaction not yet committed) */
        return 0;
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    if (x->cdict && ZSTD_getDictID_fromDict(v.mv_data, v.mv_size) == x->dict_id)
        return 0;
    nd_texts_close(x);
    return use_dict(x, v.mv_data, v.mv_size);
}

void nd_texts_close(nd_index *x)
{
    ZSTD_freeCDict(x->cdict);
    ZSTD_freeDDict(x->ddict);
    x->cdict = NULL;
    x->ddict = NULL;
    x->dict_id = 0;
    x->dict_in_txn = false;
}

int nd_texts_train(nd_index *x, MDB_txn *txn, const void *samples, const size_t *sizes, size_t n)
{
    void *dict = malloc(DICT_BYTES);
    if (!dict)
        return ND_ENOMEM;
    /* fastCover with fixed segment sizes: zstd's default trainer searches them, five times
     * the time (most of a first add of a few thousand articles) for a dictionary that
     * compresses news 0.2% better */
    ZDICT_fastCover_params_t params = {.k = 200, .d = 8, .f = 20, .accel = 1};
    params.zParams.compressionLevel = TEXT_LEVEL;
    const size_t len =
        ZDICT_trainFromBuffer_fastCover(dict, DICT_BYTES, samples, sizes, (unsigned)n, params);
    int rc = 0;
    if (!ZDICT_isError(len) && (rc = use_dict(x, dict, len)) == 0) {
        rc = nd_view_put_meta(x, txn, "dict", dict, len);
        x->dict_in_txn = true;
    }
    free(dict);
    return rc;
}

void nd_texts_abort(nd_index *x)
{
    if (x->dict_in_txn)
        nd_texts_close(x);
}

int nd_texts_compress(const nd_index *x, ZSTD_CCtx *cctx, const void *text, size_t len,
                      unsigned char **z, size_t *z_cap, size_t *z_len)
{
    if (ND_GROW(*z, *z_cap, ZSTD_compressBound(len)) < 0)
        return ND_ENOMEM;
    *z_len = x->cdict ? ZSTD_compress_usingCDict(cctx, *z, *z_cap, text, len, x->cdict)
                      : ZSTD_compressCCtx(cctx, *z, *z_cap, text, len, TEXT_LEVEL);
    return ZSTD_isError(*z_len) ? ND_ENOMEM : 0;
}

int nd_texts_decompress(const nd_index *x, ZSTD_DCtx *dctx, const void *z, size_t z_len, void *out,
                        size_t n_bytes)
{
    const unsigned id = ZSTD_getDictID_fromFrame(z, z_len);
    if (id && id != x->dict_id)
        return ND_EINDEX;
    const size_t got = id ? ZSTD_decompress_usingDDict(dctx, out, n_bytes, z, z_len, x->ddict)
                          : ZSTD_decompressDCtx(dctx, out, n_bytes, z, z_len);
    return ZSTD_isError(got) || got != n_bytes ? ND_EINDEX : 0;
}
