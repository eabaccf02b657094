/*
 * analyze.h - analyze-drops' input side: the --input list, format
 * sniffing, and running hubble when there is nothing else to read.
 */
#ifndef CILKIT_ANALYZE_H
#define CILKIT_ANALYZE_H

#include <stddef.h>

#include "report_drops.h"

#define ANALYZE_MAX_INPUTS	1024

struct analyze_inputs {
	const char *paths[ANALYZE_MAX_INPUTS];
	size_t n;
	const char *context, *kubeconfig;	/* for cluster access */
	size_t n_read;		/* inputs that gave at least one record */
};

/* Add a path ("-" is stdin); -1 when the list is full. */
int analyze_add_input(struct analyze_inputs *in, const char *path);
void analyze_free_inputs(struct analyze_inputs *in);

/*
 * Read every input into d, reporting bad lines on stderr.  Returns the
 * exit status so far: 0, 2 (an input could not be opened or read, was
 * empty or of the wrong kind, or lines were skipped), 3 (hubble
 * failed), 4 (I/O).
 */
int analyze_read_all(struct analyze_inputs *in,
    const struct report_drops_opts *o, struct report_drops *d);

#endif /* CILKIT_ANALYZE_H */
