#include <crypt.h>
#include <stddef.h>

/* sizeof(struct crypt_data) (about 32 KiB), for a heap buffer handed to crypt_rn. */
static inline size_t slx_crypt_data_size(void) {
    return sizeof(struct crypt_data);
}
