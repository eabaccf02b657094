/*
 * report.c - durations, times, percentages, text width and sanitizing,
 * aligned tables, CSV and HTML escaping.  JSON helpers and interning
 * are in report_json.c and report_intern.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "report.h"
#include "report_wbuf.h"

#define NS_US	INT64_C(1000)
#define NS_MS	INT64_C(1000000)
#define NS_S	INT64_C(1000000000)
#define NS_M	(60 * NS_S)
#define NS_H	(60 * NS_M)
#define NS_D	(24 * NS_H)
#define NS_W	(7 * NS_D)
/* The longest duration we take: 100 years, far below INT64_MAX ns. */
#define MAX_DURATION	(36525 * NS_D)

struct unit {
	const char *name;
	int64_t ns;
};

/* Longest names first so "ms" is not read as "m" + junk. */
static const struct unit units[] = {
	{ "ns", 1 }, { "us", NS_US }, { "\xc2\xb5s", NS_US },
	{ "\xce\xbcs", NS_US }, { "ms", NS_MS }, { "s", NS_S },
	{ "m", NS_M }, { "h", NS_H }, { "d", NS_D }, { "w", NS_W },
	{ NULL, 0 },
};

static const struct unit *
match_unit(const char *p, size_t *ulen)
{
	const struct unit *u, *best = NULL;
	size_t n, bestlen = 0;

	for (u = units; u->name != NULL; u++) {
		n = strlen(u->name);
		if (strncmp(p, u->name, n) == 0 && n > bestlen) {
			best = u;
			bestlen = n;
		}
	}
	*ulen = bestlen;
	return best;
}

int
report_parse_duration(const char *s, int64_t *ns, char *eb, size_t el)
{
	const char *p = s;
	const struct unit *u;
	int64_t total = 0, whole, term;
	uint64_t frac, fscale;
	size_t ulen, n;
	int digits;

	if (s == NULL || *s == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL, "empty duration");
	if (strlen(s) > REPORT_MAX_TIME_ARG)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG,
		    "duration too long");
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			if (*p == '.' && p[1] >= '0' && p[1] <= '9')
				goto number;
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "invalid duration '%s' (expected e.g. 30s, 5m, "
			    "1h30m, 1d)", s);
		}
number:
		whole = 0;
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (whole > (INT64_MAX - 9) / 10)
				goto toobig;
			whole = whole * 10 + (*p++ - '0');
			digits++;
		}
		frac = 0;
		fscale = 1;
		if (*p == '.') {
			p++;
			n = 0;
			while (*p >= '0' && *p <= '9') {
				/* Keep 18 digits at most: enough for ns. */
				if (n < 18) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					fscale *= 10;
				}
				p++;
				n++;
			}
			if (n == 0 && digits == 0)
				goto bad;
		}
		u = match_unit(p, &ulen);
		if (u == NULL)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    *p == '\0' ? "duration '%s' needs a unit (ns, us, "
			    "ms, s, m, h, d, w)" : "invalid duration '%s': "
			    "unknown unit", s);
		p += ulen;
		if (whole > MAX_DURATION / u->ns)
			goto toobig;
		term = whole * u->ns;
		/* frac/fscale of a unit, in ns, without overflow. */
		term += (int64_t)((double)frac / (double)fscale *
		    (double)u->ns);
		if (term > MAX_DURATION - total)
			goto toobig;
		total += term;
	}
	*ns = total;
	return 0;
bad:
	return cilkit_fail(eb, el, CILKIT_EINVAL, "invalid duration '%s'", s);
toobig:
	return cilkit_fail(eb, el, CILKIT_ETOOBIG,
	    "duration '%s' is too large (at most 100 years)", s);
}


/* n decimal digits at s; -1 when any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * RFC 3339 section 5.6 date-time as whole seconds since the epoch (any
 * year 0000..9999) and the fraction in ns.  Fixed offsets after one
 * length check: the flow reader calls this for every line whose time
 * is not in the minute of the one before, so it stays a straight scan.
 */
static inline int
rfc3339(const char *s, size_t len, int64_t *secs, int64_t *fracp)
{
	static const unsigned char mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int year, mon, day, hh, mm, ss, oh = 0, om = 0, sign = 0, fd = 0;
	int64_t days, frac = 0;
	size_t i;
	bool leap;

	if (s == NULL || len < 20)
		return CILKIT_EINVAL;
	if ((year = digits(s, 4)) < 0 || s[4] != '-' ||
	    (mon = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (day = digits(s + 8, 2)) < 0 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    (hh = digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mm = digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (ss = digits(s + 17, 2)) < 0)
		return CILKIT_EINVAL;
	i = 19;
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return CILKIT_EINVAL;
		/* Nanoseconds: more than 9 digits are truncated. */
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (fd < 9) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
		}
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (i >= len)
		return CILKIT_EINVAL;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i < 6 || (oh = digits(s + i + 1, 2)) < 0 ||
		    s[i + 3] != ':' || (om = digits(s + i + 4, 2)) < 0 ||
		    oh > 23 || om > 59)
			return CILKIT_EINVAL;
		i += 6;
	} else {
		return CILKIT_EINVAL;
	}
	if (i != len)
		return CILKIT_EINVAL;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] + (mon == 2 && leap) || hh > 23 ||
	    mm > 59 || ss > 59)
		return CILKIT_EINVAL;
	days = cilkit_days_from_civil(year, (unsigned)mon, (unsigned)day);
	*secs = days * 86400 + hh * 3600 + mm * 60 + ss -
	    sign * (oh * 3600 + om * 60);
	*fracp = frac;
	return 0;
}

int
report_parse_rfc3339(const char *s, size_t len, int64_t *out)
{
	int64_t secs, frac, t;

	if (rfc3339(s, len, &secs, &frac) < 0 ||
	    __builtin_mul_overflow(secs, NS_S, &t) ||
	    __builtin_add_overflow(t, frac, &t))
		return CILKIT_EINVAL;	/* beyond 1677..2262 */
	*out = t;
	return 0;
}

int
report_parse_rfc3339_sec(const char *s, size_t len, int64_t *out)
{
	int64_t frac;

	return rfc3339(s, len, out, &frac);
}

int
report_parse_time(const char *s, int64_t now_ns, int64_t *out, char *eb,
    size_t el)
{
	char day[20];
	int64_t d;
	size_t len;
	int rc;

	if (s == NULL || *s == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL, "empty time");
	len = strlen(s);
	if (len > REPORT_MAX_TIME_ARG)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG, "time too long");
	/* A date: "2024-05-01" alone means its midnight UTC. */
	if (len == 10) {
		memcpy(day, s, 10);
		memcpy(day + 10, "T00:00:00Z", 10);
		if (report_parse_rfc3339(day, sizeof(day), out) == 0)
			return 0;
	}
	if (len > 10 && s[4] == '-') {
		if (report_parse_rfc3339(s, len, out) != 0)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "invalid time '%s' (expected RFC 3339 such as "
			    "2024-05-01T10:00:00Z, or a duration such as 5m)",
			    s);
		return 0;
	}
	rc = report_parse_duration(s, &d, eb, el);
	if (rc != 0)
		return rc;
	*out = now_ns - d;
	return 0;
}

void
report_format_duration(int64_t ns, char *buf, size_t len)
{
	static const struct unit big[] = { { "d", NS_D }, { "h", NS_H },
	    { "m", NS_M }, { "s", NS_S }, { NULL, 0 } };
	const struct unit *u;
	size_t off = 0;
	int64_t v;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ns < 0) {
		snprintf(buf, len, "-");
		off = 1;
		ns = ns == INT64_MIN ? INT64_MAX : -ns;
	}
	if (ns == 0) {
		snprintf(buf + off, len - off, "0s");
		return;
	}
	if (ns < NS_S) {
		if (ns % NS_MS == 0)
			snprintf(buf + off, len - off, "%lldms",
			    (long long)(ns / NS_MS));
		else if (ns % NS_US == 0)
			snprintf(buf + off, len - off, "%lldus",
			    (long long)(ns / NS_US));
		else
			snprintf(buf + off, len - off, "%lldns",
			    (long long)ns);
		return;
	}
	if (ns < NS_M && ns % NS_S != 0) {
		snprintf(buf + off, len - off, "%.3gs", (double)ns / NS_S);
		return;
	}
	for (u = big; u->name != NULL && off + 1 < len; u++) {
		v = ns / u->ns;
		ns %= u->ns;
		if (v == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%lld%s",
		    (long long)v, u->name);
		if (off >= len)
			return;
	}
}

void
report_format_duration_words(int64_t ns, char *buf, size_t len)
{
	static const struct { const char *one; int64_t ns; } w[] = {
	    { "day", NS_D }, { "hour", NS_H }, { "minute", NS_M },
	    { "second", NS_S }, { NULL, 0 } };
	size_t off = 0;
	int64_t v;
	int i, parts = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ns < NS_S) {
		if (ns < 0)
			ns = 0;
		snprintf(buf, len, "%lld millisecond%s",
		    (long long)(ns / NS_MS), ns / NS_MS == 1 ? "" : "s");
		return;
	}
	for (i = 0; w[i].one != NULL && parts < 2; i++) {
		v = ns / w[i].ns;
		ns %= w[i].ns;
		if (v == 0) {
			if (parts > 0)
				break;
			continue;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%lld %s%s",
		    parts > 0 ? " " : "", (long long)v, w[i].one,
		    v == 1 ? "" : "s");
		parts++;
		if (off >= len)
			return;
	}
}

char *
report_put_digits(char *p, unsigned long v, int n)
{
	char *end = p + n;

	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
	return end;
}

size_t
report_format_time(int64_t ns, int digits, char *buf, size_t len)
{
	int64_t secs, frac, days, y;
	unsigned m, d;
	int64_t sod;

	if (len == 0)
		return 0;
	secs = ns / NS_S;
	frac = ns % NS_S;
	if (frac < 0) {
		frac += NS_S;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	cilkit_civil_from_days(days, &y, &m, &d);
	if (digits >= 9 && y >= 0 && y <= 9999 && len >= 31) {
		/*
		 * The common case by hand: it runs for every flow written
		 * and every conversation reported.
		 */
		report_put_digits(buf, (unsigned long)y, 4);
		buf[4] = '-';
		report_put_digits(buf + 5, m, 2);
		buf[7] = '-';
		report_put_digits(buf + 8, d, 2);
		buf[10] = 'T';
		report_put_digits(buf + 11, (unsigned long)(sod / 3600), 2);
		buf[13] = ':';
		report_put_digits(buf + 14, (unsigned long)(sod / 60 % 60), 2);
		buf[16] = ':';
		report_put_digits(buf + 17, (unsigned long)(sod % 60), 2);
		buf[19] = '.';
		report_put_digits(buf + 20, (unsigned long)frac, 9);
		buf[29] = 'Z';
		buf[30] = '\0';
		return 30;
	}
	if (digits >= 9)
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
	else if (digits >= 6)
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60),
		    (long long)(frac / 1000));
	else if (digits >= 3)
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03lldZ",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60),
		    (long long)(frac / 1000000));
	else
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60));
	return strlen(buf);
}

void
report_percentages(const uint64_t *counts, size_t n, unsigned *pct)
{
	uint64_t total = 0, rem, best_rem;
	unsigned given = 0;
	size_t i, best;
	unsigned char *bumped;

	for (i = 0; i < n; i++)
		total += counts[i];
	for (i = 0; i < n; i++) {
		pct[i] = total == 0 ? 0 :
		    (unsigned)((__uint128_t)counts[i] * 100 / total);
		given += pct[i];
	}
	if (total == 0 || given >= 100)
		return;
	bumped = calloc(n, 1);
	while (given < 100) {
		best = n;
		best_rem = 0;
		for (i = 0; i < n; i++) {
			if (bumped != NULL && bumped[i])
				continue;
			rem = (uint64_t)((__uint128_t)counts[i] * 100 % total);
			if (best == n || rem > best_rem) {
				best = i;
				best_rem = rem;
			}
		}
		if (best == n)
			break;
		pct[best]++;
		if (bumped != NULL)
			bumped[best] = 1;
		given++;
	}
	free(bumped);
}

/*
 * Decode one UTF-8 sequence at s; returns its length (1..4) and the code
 * point, or 0 for an invalid or truncated sequence (overlong forms,
 * surrogates and values over U+10FFFF are invalid).
 */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int
cp_width(uint32_t c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	    (c >= 0x20d0 && c <= 0x20ff))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f680 && c <= 0x1f6ff) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

size_t
report_str_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;
	uint32_t c;

	if (s == NULL)
		return 0;
	while (*p != '\0') {
		n = utf8_decode(p, &c);
		if (n == 0) {
			w++;
			p++;
			continue;
		}
		w += (size_t)cp_width(c);
		p += n;
	}
	return w;
}

char *
report_sanitize(const char *s)
{
	const unsigned char *p;
	size_t len, n, o = 0;
	uint32_t c;
	char *out;

	if (s == NULL)
		s = "";
	len = strlen(s);
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	p = (const unsigned char *)s;
	while (*p != '\0') {
		n = utf8_decode(p, &c);
		if (n == 0 || c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && c < 0xa0)) {
			out[o++] = '?';
			p += n == 0 ? 1 : n;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/*
 * Tables
 */
#define TABLE_MAX_COLS	64
#define TABLE_MAX_ROWS	1000000

struct report_col {
	char *header;
	enum report_align align;
	size_t maxwidth;
};

struct report_table {
	size_t ncols;
	struct report_col *cols;
	char **cells;		/* rows * ncols sanitized copies */
	size_t rows, cap;
	bool ascii;
	char *gap;
};

struct report_table *
report_table_new(size_t ncols)
{
	struct report_table *t;

	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->cols = calloc(ncols, sizeof(*t->cols));
	t->gap = strdup("  ");
	if (t->cols == NULL || t->gap == NULL) {
		report_table_free(t);
		return NULL;
	}
	return t;
}

void
report_table_free(struct report_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	if (t->cols != NULL)
		for (i = 0; i < t->ncols; i++)
			free(t->cols[i].header);
	free(t->cols);
	free(t->gap);
	free(t);
}

int
report_table_column(struct report_table *t, size_t col, const char *header,
    enum report_align align, size_t maxwidth)
{
	char *h = NULL;

	if (t == NULL || col >= t->ncols || (maxwidth != 0 && maxwidth < 4))
		return CILKIT_EINVAL;
	if (header != NULL && (h = report_sanitize(header)) == NULL)
		return CILKIT_ENOMEM;
	free(t->cols[col].header);
	t->cols[col].header = h;
	t->cols[col].align = align;
	t->cols[col].maxwidth = maxwidth;
	return 0;
}

void
report_table_set_ascii(struct report_table *t, bool ascii)
{
	t->ascii = ascii;
}

void
report_table_set_gap(struct report_table *t, const char *gap)
{
	char *g = strdup(gap != NULL ? gap : "");

	if (g != NULL) {
		free(t->gap);
		t->gap = g;
	}
}

int
report_table_add_row(struct report_table *t, const char *const *cells)
{
	char **nc;
	size_t i, ncap;

	if (t->rows >= TABLE_MAX_ROWS)
		return CILKIT_ETOOBIG;
	if (t->rows == t->cap) {
		ncap = t->cap == 0 ? 16 : t->cap * 2;
		nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));
		if (nc == NULL)
			return CILKIT_ENOMEM;
		t->cells = nc;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		t->cells[t->rows * t->ncols + i] = report_sanitize(
		    cells != NULL ? cells[i] : NULL);
		if (t->cells[t->rows * t->ncols + i] == NULL) {
			while (i-- > 0)
				free(t->cells[t->rows * t->ncols + i]);
			return CILKIT_ENOMEM;
		}
	}
	t->rows++;
	return 0;
}

size_t
report_table_rows(const struct report_table *t)
{
	return t->rows;
}

/*
 * Print s in a field of width w (s already sanitized), cutting it with
 * an ellipsis when it is wider.  pad: whether to pad on the right.
 */
static int
print_cell(FILE *fp, const char *s, size_t w, enum report_align align,
    bool pad, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *ell = ascii ? "..." : "\xe2\x80\xa6";
	size_t sw = report_str_width(s), ellw = ascii ? 3 : 1, used = 0, n;
	uint32_t c;
	int cw;

	if (sw <= w) {
		if (align == REPORT_ALIGN_RIGHT && fprintf(fp, "%*s",
		    (int)(w - sw), "") < 0)
			return CILKIT_EIO;
		if (fputs(s, fp) == EOF)
			return CILKIT_EIO;
		if (align == REPORT_ALIGN_LEFT && pad && w > sw &&
		    fprintf(fp, "%*s", (int)(w - sw), "") < 0)
			return CILKIT_EIO;
		return 0;
	}
	/* Cut: as many whole characters as fit in w - ellipsis. */
	while (*p != '\0') {
		n = utf8_decode(p, &c);
		cw = n == 0 ? 1 : cp_width(c);
		if (n == 0)
			n = 1;
		if (used + (size_t)cw > w - ellw)
			break;
		if (fwrite(p, 1, n, fp) != n)
			return CILKIT_EIO;
		used += (size_t)cw;
		p += n;
	}
	if (fputs(ell, fp) == EOF)
		return CILKIT_EIO;
	used += ellw;
	if (pad && used < w && fprintf(fp, "%*s", (int)(w - used), "") < 0)
		return CILKIT_EIO;
	return 0;
}

int
report_table_print(const struct report_table *t, FILE *fp,
    const char *indent)
{
	size_t *w, r, c, last, cw;
	bool header = false;
	const char *s;
	int rc = 0;

	w = calloc(t->ncols, sizeof(*w));
	if (w == NULL)
		return CILKIT_ENOMEM;
	for (c = 0; c < t->ncols; c++) {
		if (t->cols[c].header != NULL) {
			header = true;
			w[c] = report_str_width(t->cols[c].header);
		}
		for (r = 0; r < t->rows; r++) {
			cw = report_str_width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
		if (t->cols[c].maxwidth != 0 && w[c] > t->cols[c].maxwidth)
			w[c] = t->cols[c].maxwidth;
	}
	for (r = header ? 0 : 1; r <= t->rows && rc == 0; r++) {
		/* The last column with content: no trailing blanks. */
		last = 0;
		for (c = 0; c < t->ncols; c++) {
			s = r == 0 ? t->cols[c].header :
			    t->cells[(r - 1) * t->ncols + c];
			if ((s != NULL && *s != '\0') ||
			    t->cols[c].align == REPORT_ALIGN_RIGHT)
				last = c;
		}
		if (indent != NULL && fputs(indent, fp) == EOF)
			rc = CILKIT_EIO;
		for (c = 0; c <= last && rc == 0; c++) {
			s = r == 0 ? t->cols[c].header :
			    t->cells[(r - 1) * t->ncols + c];
			if (c > 0 && fputs(t->gap, fp) == EOF)
				rc = CILKIT_EIO;
			else
				rc = print_cell(fp, s != NULL ? s : "", w[c],
				    t->cols[c].align, c < last, t->ascii);
		}
		if (rc == 0 && fputc('\n', fp) == EOF)
			rc = CILKIT_EIO;
	}
	free(w);
	return rc;
}

/*
 * CSV
 */
/* Whether the field s of len bytes must be quoted (RFC 4180). */
static bool
csv_needs_quotes(const char *s, size_t len)
{
	return strpbrk(s, ",\"\r\n") != NULL ||
	    (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'));
}

int
report_csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		s = "";
	if (!csv_needs_quotes(s, strlen(s)))
		return fputs(s, fp) == EOF ? CILKIT_EIO : 0;
	if (fputc('"', fp) == EOF)
		return CILKIT_EIO;
	for (; *s != '\0'; s++) {
		if (*s == '"' && fputc('"', fp) == EOF)
			return CILKIT_EIO;
		if (fputc(*s, fp) == EOF)
			return CILKIT_EIO;
	}
	return fputc('"', fp) == EOF ? CILKIT_EIO : 0;
}

/* The n bytes at s inside a quoted field: quotes doubled. */
static char *
csv_quoted_body(char *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*o++ = '"';
		*o++ = s[i];
	}
	return o;
}

char *
report_put_csv_field(char *o, const char *s)
{
	size_t len;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (!csv_needs_quotes(s, len))
		return report_put(o, s, len);
	*o++ = '"';
	o = csv_quoted_body(o, s, len);
	*o++ = '"';
	return o;
}

void
report_wbuf_csv_field(struct report_wbuf *w, const char *s)
{
	size_t len, i, k;
	char *o;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (!csv_needs_quotes(s, len)) {
		report_wbuf_put(w, s, len);
		return;
	}
	/* In pieces that fit reserved room doubled. */
	report_wbuf_c(w, '"');
	for (i = 0; i < len; i += k) {
		k = len - i < REPORT_WBUF_RESERVE_MAX / 2 ? len - i :
		    REPORT_WBUF_RESERVE_MAX / 2;
		o = report_wbuf_reserve(w, 2 * k);
		report_wbuf_commit(w, csv_quoted_body(o, s + i, k));
	}
	report_wbuf_c(w, '"');
}

int
report_csv_row(FILE *fp, const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && fputc(',', fp) == EOF)
			return CILKIT_EIO;
		if (report_csv_field(fp, fields[i]) != 0)
			return CILKIT_EIO;
	}
	return fputc('\n', fp) == EOF ? CILKIT_EIO : 0;
}

/*
 * HTML
 */
static const char *
html_entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	}
	return NULL;
}

char *
report_html_escape(const char *s)
{
	const unsigned char *p;
	const char *e;
	size_t len, o = 0, n;
	uint32_t c;
	char *out;

	if (s == NULL)
		s = "";
	len = strlen(s);
	/* Worst case: every byte becomes "&quot;" or U+FFFD (6 and 3). */
	if (len > (SIZE_MAX - 1) / 6)
		return NULL;
	out = malloc(len * 6 + 1);
	if (out == NULL)
		return NULL;
	p = (const unsigned char *)s;
	while (*p != '\0') {
		if ((e = html_entity(*p)) != NULL) {
			memcpy(out + o, e, strlen(e));
			o += strlen(e);
			p++;
			continue;
		}
		n = utf8_decode(p, &c);
		if (n == 0 || (c < 0x20 && c != '\t' && c != '\n') ||
		    c == 0x7f || (c >= 0x80 && c < 0xa0)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p += n == 0 ? 1 : n;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

int
report_html_fputs(FILE *fp, const char *s)
{
	char *e = report_html_escape(s);
	int rc;

	if (e == NULL)
		return CILKIT_ENOMEM;
	rc = fputs(e, fp) == EOF ? CILKIT_EIO : 0;
	free(e);
	return rc;
}

/* Exposed to report_json.c only. */
size_t report__utf8_decode(const unsigned char *s, uint32_t *cp);

size_t
report__utf8_decode(const unsigned char *s, uint32_t *cp)
{
	return utf8_decode(s, cp);
}
