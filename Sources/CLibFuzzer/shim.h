/* libFuzzer's driver entry point, declared only: the symbol comes from the runtime that
   `-sanitize=fuzzer` links in, and only the fuzz build (-DFUZZING) refers to it. SwiftPM links
   executables with their own main, so the fuzz executable calls this itself. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
