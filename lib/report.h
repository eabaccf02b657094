/*
 * report.h - what every report writer shares (design.md, "report"):
 * durations and times as users type them, aligned text tables, CSV,
 * HTML escaping, JSON output over json-c, percentages that add up, and
 * a string interning table for aggregations keyed on names.
 *
 * The streaming quantile estimator is in report_quantile.h.
 *
 * Strings handed to the writers may come from the network or the
 * cluster: the text writers replace control characters and invalid
 * UTF-8 (a pod name cannot move the terminal's cursor), the JSON
 * writers emit valid UTF-8 only, and HTML output is escaped.
 */
#ifndef CILKIT_REPORT_H
#define CILKIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

#define REPORT_NS_PER_SEC	INT64_C(1000000000)

/* Longest duration or time string accepted (bounded parser). */
#define REPORT_MAX_TIME_ARG	64

/*
 * Parse a duration: one or more <number><unit> terms, "30s", "5m",
 * "1h30m", "24h", "1d", "500ms", "1.5h"; units ns, us (or µs), ms, s,
 * m, h, d (24h), w (7d).  A bare "0" is zero.  Negative values, empty
 * strings, unknown units, a missing unit and results over 100 years are
 * refused.  On success stores nanoseconds in *ns and returns 0; else
 * returns CILKIT_EINVAL or CILKIT_ETOOBIG with a message in errbuf.
 */
int report_parse_duration(const char *s, int64_t *ns, char *errbuf,
    size_t errlen);

/*
 * Parse a point in time: RFC 3339 ("2024-05-01T10:00:00Z",
 * "2024-05-01T12:00:00.5+02:00", space instead of T allowed), a date
 * ("2024-05-01", midnight UTC), or a duration meaning "that long before
 * now_ns" ("5m" -> now_ns - 5 minutes).  Returns 0 with Unix ns in
 * *out, or a negative cilkit_err with a message.
 */
int report_parse_time(const char *s, int64_t now_ns, int64_t *out,
    char *errbuf, size_t errlen);

/*
 * The one RFC 3339 date-time parser (section 5.6), into Unix ns; the
 * flow reader's and the --since/--until parser.  len is the length of
 * s (no NUL needed).  Takes "YYYY-MM-DDThh:mm:ss", 't' or ' ' for
 * the 'T', an optional fraction of 1 or more digits (cut, not rounded,
 * to ns), then 'Z', 'z' or +hh:mm/-hh:mm.  The range is int64 ns from
 * its first whole second: 1677-09-21T00:12:44Z to
 * 2262-04-11T23:47:16.854775807Z.  Refused: leap seconds (:60), days
 * a month lacks, a missing zone, leading or trailing bytes.  Returns 0
 * or CILKIT_EINVAL; *out is written only on success.
 */
int report_parse_rfc3339(const char *s, size_t len, int64_t *out);

/*
 * The same parser into whole seconds (the fraction dropped), for any
 * year 0000..9999: for times that need not fit int64 ns, such as a
 * credential's expiry.  Returns 0 or CILKIT_EINVAL.
 */
int report_parse_rfc3339_sec(const char *s, size_t len, int64_t *out);

/*
 * Format a duration the way users type it: "5m", "1h30m", "1d2h",
 * "500ms", "0s".  Whole seconds and up drop sub-second parts unless the
 * value is under a minute.  buf needs 32 bytes.
 */
void report_format_duration(int64_t ns, char *buf, size_t len);

/*
 * Human words for a duration: "5 minutes", "1 hour 30 minutes",
 * "24 hours", "1 day".  buf needs 64 bytes.
 */
void report_format_duration_words(int64_t ns, char *buf, size_t len);

/*
 * RFC 3339 UTC, "2024-05-01T10:00:00Z"; digits is the number of
 * fraction digits (0, 3, 6 or 9; others are rounded down to one of
 * these).  buf needs 40 bytes.  Returns the length written (the NUL
 * not counted).
 */
size_t report_format_time(int64_t ns, int digits, char *buf, size_t len);

/* v as exactly n decimal digits, zero-padded, at p; returns p + n. */
char *report_put_digits(char *p, unsigned long v, int n);

/*
 * Integer percentages of counts[0..n) that add up to exactly 100 (or
 * all 0 when the total is 0), by the largest remainder method: each
 * gets floor(100 * c / total), and the points left over go to the
 * largest remainders (ties to the lower index).  pct[] receives n
 * values.  A count that is not 0 may still get 0%.
 */
void report_percentages(const uint64_t *counts, size_t n, unsigned *pct);

/*
 * Display width of a UTF-8 string in terminal columns: East Asian wide
 * and emoji count 2, combining marks 0, everything else 1; an invalid
 * byte counts 1 (it is shown as '?').
 */
size_t report_str_width(const char *s);

/*
 * A copy of s safe to print on a terminal: C0/C1 control characters,
 * DEL and invalid UTF-8 become '?'.  NULL s gives "".  Caller frees;
 * NULL on allocation failure.
 */
char *report_sanitize(const char *s);

/*
 * Aligned text tables.  Cells are copied (sanitized) when added; the
 * table is printed at the end so that every column gets its widest
 * cell's width, capped by the column's max width, where a longer cell
 * is cut and ends with an ellipsis ("…", or "..." in ASCII mode).
 */
enum report_align { REPORT_ALIGN_LEFT = 0, REPORT_ALIGN_RIGHT };

struct report_table;

/* A table with ncols columns (1..64).  Caller frees; NULL on ENOMEM. */
struct report_table *report_table_new(size_t ncols);
void report_table_free(struct report_table *t);

/*
 * Set a column's header (may be NULL: no header row is printed unless
 * some column has one), alignment and maximum width (0: unlimited;
 * otherwise at least 4).  Returns 0 or CILKIT_EINVAL.
 */
int report_table_column(struct report_table *t, size_t col,
    const char *header, enum report_align align, size_t maxwidth);

/* Use "..." instead of "…" for truncated cells. */
void report_table_set_ascii(struct report_table *t, bool ascii);

/* Separator between columns (default two spaces). */
void report_table_set_gap(struct report_table *t, const char *gap);

/*
 * Append a row of ncols cells (a NULL cell is empty).  Returns 0 or
 * CILKIT_ENOMEM / CILKIT_ETOOBIG (over a million rows).
 */
int report_table_add_row(struct report_table *t, const char *const *cells);

/* Rows added so far. */
size_t report_table_rows(const struct report_table *t);

/*
 * Print the table to fp, each line starting with indent (may be NULL).
 * Trailing spaces are never printed.  Returns 0 or CILKIT_EIO.
 */
int report_table_print(const struct report_table *t, FILE *fp,
    const char *indent);

/*
 * CSV (RFC 4180): a field is quoted when it holds a comma, a double
 * quote, CR, LF, or leading/trailing space; quotes are doubled.  Rows
 * end in "\n" (not CRLF, for Unix tools; RFC 4180 readers accept it).
 * Returns 0 or CILKIT_EIO.
 */
int report_csv_row(FILE *fp, const char *const *fields, size_t n);

/* One CSV field into fp, quoted when needed (no separator). */
int report_csv_field(FILE *fp, const char *s);

/*
 * The same into a write buffer (report_wbuf.h), for exports of many
 * rows: a write error shows in w->err.
 */
struct report_wbuf;
void report_wbuf_csv_field(struct report_wbuf *w, const char *s);
/* Through a pointer with room for 2 * strlen(s) + 2 bytes; the new end. */
char *report_put_csv_field(char *o, const char *s);

/*
 * HTML escaping of text and attribute values: & < > " ' become
 * entities, control characters other than tab/newline and invalid UTF-8
 * become U+FFFD.  report_html_escape returns a new string (caller
 * frees; NULL on allocation failure; NULL s gives "");
 * report_html_fputs writes it to fp and returns 0 or CILKIT_EIO.
 */
char *report_html_escape(const char *s);
int report_html_fputs(FILE *fp, const char *s);

/*
 * JSON building over json-c.  Strings are checked for UTF-8 and any
 * invalid byte is replaced with U+FFFD, so the output is always valid
 * JSON text.  A NULL string is added as JSON null.  Each returns 0 or
 * CILKIT_ENOMEM.
 */
struct json_object *report_json_string(const char *s);
int report_json_add_str(struct json_object *obj, const char *key,
    const char *s);
int report_json_add_int(struct json_object *obj, const char *key,
    int64_t v);
int report_json_add_uint(struct json_object *obj, const char *key,
    uint64_t v);
int report_json_add_double(struct json_object *obj, const char *key,
    double v);
int report_json_add_bool(struct json_object *obj, const char *key, bool v);
/* Adds time as an RFC 3339 string (9 fraction digits), null when 0. */
int report_json_add_time(struct json_object *obj, const char *key,
    int64_t ns);
/* Add val (ownership passes to obj, also on failure). */
int report_json_add(struct json_object *obj, const char *key,
    struct json_object *val);
/* Append val to array arr (ownership passes, also on failure). */
int report_json_append(struct json_object *arr, struct json_object *val);

/*
 * Print obj (compact on one line, or pretty with two-space indents),
 * then a newline.  Slashes are not escaped.  Returns 0, or CILKIT_EIO /
 * CILKIT_ENOMEM with a message.
 */
int report_json_print(FILE *fp, struct json_object *obj, bool pretty,
    char *errbuf, size_t errlen);

/*
 * String interning: each distinct string is stored once and gets a
 * small dense id (0, 1, 2 ...), so aggregations can key hash tables
 * on integers.  Memory grows with the number of distinct strings only,
 * capped by max_bytes given at creation (0: 256 MiB).
 */
struct report_intern;

struct report_intern *report_intern_new(size_t max_bytes);
void report_intern_free(struct report_intern *in);

/*
 * Id of s[0..len) (len may be (size_t)-1 for strlen), adding it when
 * new.  Returns the id (>= 0), or CILKIT_ENOMEM / CILKIT_ETOOBIG when
 * it would have to grow past the cap.
 */
int64_t report_intern_id(struct report_intern *in, const char *s,
    size_t len);
/* The string for an id (NUL-terminated, valid until free), or NULL. */
const char *report_intern_str(const struct report_intern *in, int64_t id);
/* Number of distinct strings. */
size_t report_intern_count(const struct report_intern *in);

#endif /* CILKIT_REPORT_H */
