#include <zlib.h>
#include <stdlib.h>
#include <stddef.h>

/* gzip (RFC 1952) of a whole buffer in one call: deflateInit2 is a macro, invisible from Swift.
   On success *out is malloc'ed (the caller frees it) and 0 is returned. */
static inline int slx_gzip(const unsigned char *in, size_t in_len, int level,
                           unsigned char **out, size_t *out_len) {
    z_stream s = {0};
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    uLong bound = deflateBound(&s, (uLong)in_len) + 32;
    unsigned char *buf = malloc(bound);
    if (!buf) { deflateEnd(&s); return -1; }
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    s.next_out = buf;
    s.avail_out = (uInt)bound;
    int rc = deflate(&s, Z_FINISH);
    size_t produced = bound - s.avail_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) { free(buf); return -1; }
    *out = buf;
    *out_len = produced;
    return 0;
}

/* gzip of a body handed over in pieces: the compressed bytes grow in a malloc'ed buffer owned
   by the stream until slx_gzip_stream_finish hands it over. */
typedef struct {
    z_stream z;
    unsigned char *out;
    size_t out_len;
    size_t out_cap;
    int failed;
} slx_gzip_stream;

static inline slx_gzip_stream *slx_gzip_stream_new(int level) {
    slx_gzip_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (deflateInit2(&s->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) { free(s); return NULL; }
    return s;
}

/* Compresses `in` (flush: Z_NO_FLUSH for a piece, Z_FINISH for the end). 0 or -1. */
static inline int slx_gzip_stream_write(slx_gzip_stream *s, const unsigned char *in, size_t in_len, int flush) {
    if (s->failed) return -1;
    s->z.next_in = (Bytef *)in;
    s->z.avail_in = (uInt)in_len;
    for (;;) {
        if (s->out_cap - s->out_len < 16384) {
            size_t cap = s->out_cap ? s->out_cap * 2 : 65536;
            unsigned char *grown = realloc(s->out, cap);
            if (!grown) { s->failed = 1; return -1; }
            s->out = grown;
            s->out_cap = cap;
        }
        s->z.next_out = s->out + s->out_len;
        s->z.avail_out = (uInt)(s->out_cap - s->out_len);
        int rc = deflate(&s->z, flush);
        s->out_len = s->out_cap - s->z.avail_out;
        if (rc == Z_STREAM_END) return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR) { s->failed = 1; return -1; }
        if (flush == Z_NO_FLUSH && s->z.avail_in == 0) return 0;
    }
}

/* Ends the stream; on success *out (malloc'ed, the caller frees it) and 0. Frees the stream. */
static inline int slx_gzip_stream_finish(slx_gzip_stream *s, unsigned char **out, size_t *out_len) {
    int rc = slx_gzip_stream_write(s, NULL, 0, Z_FINISH);
    deflateEnd(&s->z);
    if (rc == 0) { *out = s->out; *out_len = s->out_len; } else { free(s->out); }
    free(s);
    return rc;
}

static inline void slx_gzip_stream_free(slx_gzip_stream *s) {
    deflateEnd(&s->z);
    free(s->out);
    free(s);
}
