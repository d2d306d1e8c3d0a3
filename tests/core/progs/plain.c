/*
 * plain.c: a C program without gort that aborts, so tests have a core of
 * a program gort-core must refuse with one line ("not a gort program").
 */
#include <stdlib.h>

int main(void)
{
    abort();
}
