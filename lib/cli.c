/*
 * cli.c - shared main() support; see cli.h for why this module prints.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json_c_version.h>
#include <microhttpd.h>
#include <pcap/pcap.h>
#include <yaml.h>

#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"

static const char *progname = "cilkit";
static const char *synopsis = "";

void
cli_init(const char *argv0, const char *usage_synopsis)
{
	const char *slash;

	if (argv0 != NULL && *argv0 != '\0') {
		slash = strrchr(argv0, '/');
		progname = slash != NULL ? slash + 1 : argv0;
	}
	if (usage_synopsis != NULL)
		synopsis = usage_synopsis;
	/* Only the character type: numbers and dates stay in C format. */
	setlocale(LC_CTYPE, "");
}

const char *
cli_progname(void)
{
	return progname;
}

static void
vwarnx(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void
cli_errx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(code);
}

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "usage: %s %s\nTry '%s --help'.\n", progname,
	    synopsis, progname);
	exit(CILKIT_EXIT_USAGE);
}

void
cli_print_version(void)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("%s %s\n", progname, CILKIT_VERSION);
	printf("  %s\n", pcap_lib_version());
	printf("  json-c %s\n", json_c_version());
	printf("  libyaml %s\n", yaml_get_version_string());
	printf("  libcurl %s\n", cv != NULL ? cv->version : "?");
	printf("  libmicrohttpd %s\n", MHD_get_version());
}

int
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr)
{
	unsigned long long v;
	char *end;

	*errstr = NULL;
	/* strtoull accepts leading space and a minus sign: refuse both. */
	if (s == NULL || *s < '0' || *s > '9') {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return -1;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	*out = v;
	return 0;
}

uint64_t
cli_opt_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	const char *errstr;
	uint64_t v;

	if (cli_parse_u64(s, min, max, &v, &errstr) != 0)
		cli_usage_error("%s '%s' is %s (expected %llu..%llu)", opt, s,
		    errstr, (unsigned long long)min, (unsigned long long)max);
	return v;
}

int
cli_parse_color(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return CLI_COLOR_AUTO;
	if (strcmp(s, "always") == 0)
		return CLI_COLOR_ALWAYS;
	if (strcmp(s, "never") == 0)
		return CLI_COLOR_NEVER;
	return -1;
}

bool
cli_use_color(FILE *fp, int mode)
{
	const char *nc = getenv("NO_COLOR");

	if (mode == CLI_COLOR_ALWAYS)
		return true;
	if (mode == CLI_COLOR_NEVER)
		return false;
	if (nc != NULL && *nc != '\0')
		return false;
	return isatty(fileno(fp)) == 1;
}

bool
cli_use_utf8(FILE *fp)
{
	const char *cs = nl_langinfo(CODESET);

	(void)fp;
	return cs != NULL && strcmp(cs, "UTF-8") == 0;
}

int
cli_finish(int exit_code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing output: %s\n", progname,
		    strerror(errno));
		return CILKIT_EXIT_IO;
	}
	if (fclose(stdout) != 0) {
		fprintf(stderr, "%s: error closing output: %s\n", progname,
		    strerror(errno));
		return CILKIT_EXIT_IO;
	}
	return exit_code;
}
