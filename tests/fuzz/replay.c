/*
 * replay.c: runs a fuzz target over files, without libFuzzer, so that CTest replays the
 * committed corpus with any compiler. Usage: replay FILE_OR_DIR...
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    const size_t got = data ? fread(data, 1, (size_t)n, fp) : 0;
    fclose(fp);
    if (!data || got != (size_t)n) {
        free(data);
        return 1;
    }
    LLVMFuzzerTestOneInput(data, got);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            struct dirent **names;
            const int count = scandir(argv[i], &names, NULL, alphasort);
            for (int j = 0; j < count; j++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                    failed |= replay_file(path), n++;
                free(names[j]);
            }
            free(names);
        } else {
            failed |= replay_file(argv[i]), n++;
        }
    }
    printf("replayed %d inputs\n", n);
    return failed;
}
