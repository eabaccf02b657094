/*
 * flowcat - read flow lines with the library reader and count records
 * by kind, verdict and L7 type; with --write, write every flow back as
 * a flow line (flow_write_line) on stdout.  A test and benchmark tool.
 *
 * usage: flowcat [--write] [--quiet] [FILE ...]
 *
 * Counts go to stdout as "kind NAME N", "verdict NAME N", "l7 NAME N",
 * "drop_reason CODE N" lines (to stderr with --write).  Skipped lines
 * are reported on stderr (unless --quiet) and counted as "errors N".
 * Exit 0, or 1 when a line was skipped, 2 on usage or open errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_read.h"
#include "flow_write.h"

static unsigned long kinds[8], verdicts[9], l7kinds[4], errors, drops[256];
static bool opt_write, opt_quiet;

static const char *const kind_names[] = {
	"flow", "lost_events", "agent_event", "debug_event", "node_status",
	"other",
};
static const char *const l7_names[] = { "none", "dns", "http", "kafka" };

static int
cat(FILE *fp, const char *name)
{
	struct flow_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	if ((r = flow_reader_new(fp, name)) == NULL) {
		fprintf(stderr, "flowcat: out of memory\n");
		return -1;
	}
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0) {
		if (rc < 0) {
			errors++;
			if (!opt_quiet)
				fprintf(stderr, "flowcat: %s\n", eb);
			if (rc == CILKIT_EIO)
				break;
			continue;
		}
		kinds[rec.kind]++;
		if (rec.kind != FLOW_EV_FLOW)
			continue;
		verdicts[rec.flow.verdict >= 0 && rec.flow.verdict < 8 ?
		    rec.flow.verdict : 8]++;
		if (rec.flow.has_l7)
			l7kinds[rec.flow.l7.kind]++;
		if (rec.flow.verdict == FLOW_DROPPED)
			drops[rec.flow.drop_reason < 256 ?
			    rec.flow.drop_reason : 255]++;
		if (opt_write && flow_write_line(stdout, &rec.flow) < 0) {
			fprintf(stderr, "flowcat: write error\n");
			flow_reader_free(r);
			return -1;
		}
	}
	flow_reader_free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	FILE *out, *fp;
	int i, nfiles = 0;
	const char *vn;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--write") == 0)
			opt_write = true;
		else if (strcmp(argv[i], "--quiet") == 0)
			opt_quiet = true;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: flowcat [--write] [--quiet] "
			    "[FILE ...]\n");
			return 0;
		}
	}
	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0)
			continue;
		nfiles++;
		if (strcmp(argv[i], "-") == 0) {
			if (cat(stdin, "<stdin>") < 0)
				return 2;
			continue;
		}
		if ((fp = fopen(argv[i], "r")) == NULL) {
			perror(argv[i]);
			return 2;
		}
		if (cat(fp, argv[i]) < 0)
			return 2;
		fclose(fp);
	}
	if (nfiles == 0 && cat(stdin, "<stdin>") < 0)
		return 2;
	out = opt_write ? stderr : stdout;
	for (i = 0; i < 6; i++)
		if (kinds[i])
			fprintf(out, "kind %s %lu\n", kind_names[i], kinds[i]);
	for (i = 0; i < 9; i++) {
		if (!verdicts[i])
			continue;
		vn = flow_verdict_name(i);
		fprintf(out, "verdict %s %lu\n", vn ? vn : "OTHER",
		    verdicts[i]);
	}
	for (i = 1; i < 4; i++)
		if (l7kinds[i])
			fprintf(out, "l7 %s %lu\n", l7_names[i], l7kinds[i]);
	for (i = 0; i < 256; i++)
		if (drops[i])
			fprintf(out, "drop_reason %d %lu\n", i, drops[i]);
	if (errors)
		fprintf(out, "errors %lu\n", errors);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 2;
	return errors ? 1 : 0;
}
