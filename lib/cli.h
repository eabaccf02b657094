/*
 * cli.h - what every cilkit program's main() shares: the "PROG: msg"
 * diagnostics, usage errors, bounded number parsing, colour policy,
 * --version output and the final stdout check.
 *
 * This is the one lib/ module that prints and exits; it exists so that
 * the four programs speak with one voice (style.md rules 7-12).  Other
 * modules never call it.
 */
#ifndef CILKIT_CLI_H
#define CILKIT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Remember the program name (basename of argv0) and its usage synopsis. */
void cli_init(const char *argv0, const char *usage_synopsis);
const char *cli_progname(void);

/* "PROG: msg" on stderr. */
void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: msg" on stderr, then exit(code). */
void cli_errx(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/*
 * Usage error: "PROG: msg", "usage: SYNOPSIS" and "Try 'PROG --help'."
 * on stderr, exit 2.  msg may be NULL.
 */
void cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* "PROG X.Y.Z" and the versions of the libraries linked in, on stdout. */
void cli_print_version(void);

/*
 * strtonum-style parsing: the whole string must be a decimal number in
 * [min, max].  Returns 0, or -1 with *errstr set to "invalid",
 * "too small" or "too large".
 */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr);
/* Same, for an option: on failure a usage error naming the option. */
uint64_t cli_opt_u64(const char *opt, const char *s, uint64_t min,
    uint64_t max);

enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
/* Parse --color=WHEN; -1 on a bad value. */
int cli_parse_color(const char *s);
/*
 * Whether to colour output on fp: never with NO_COLOR non-empty (unless
 * ALWAYS), never when not a TTY in AUTO mode.
 */
bool cli_use_color(FILE *fp, int mode);
/* Whether the locale and terminal can show UTF-8 symbols such as ✓. */
bool cli_use_utf8(FILE *fp);

/*
 * Flush and close stdout, returning exit_code, or CILKIT_EXIT_IO with a
 * message when a write failed (a full disk must never be silent).
 */
int cli_finish(int exit_code);

#endif /* CILKIT_CLI_H */
