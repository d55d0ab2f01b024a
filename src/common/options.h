/*
 * options.h: the table of the numeric options (names, ranges, defaults, help). Its rows
 * are public through neardup.h (nd_option_at, nd_option_find, nd_option_in_range), so
 * the command line parses and prints --help from them; nd_options_check checks the
 * fields of an nd_options against them here.
 */
#ifndef ND_OPTIONS_H
#define ND_OPTIONS_H

#include "neardup.h"

/* The first numeric field of *o out of its range in the table: the option's name there
 * (a static string), or NULL when all are within. */
const char *nd_options_out_of_range(const nd_options *o);

#endif
