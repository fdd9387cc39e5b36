/* glibc's malloc tuning: malloc_trim (hand freed heap back to the system) and mallopt. No
   pointers cross this boundary. */
#include <malloc.h>
