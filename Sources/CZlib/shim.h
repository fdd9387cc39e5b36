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
