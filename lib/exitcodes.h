/*
 * exitcodes.h - the exit statuses every cilkit program uses, defined once
 * (style.md rule 6).  Every man page lists these under EXIT STATUS.
 */
#ifndef CILKIT_EXITCODES_H
#define CILKIT_EXITCODES_H

#define CILKIT_EXIT_OK		0	/* success */
#define CILKIT_EXIT_PROBLEM	1	/* the check found a problem (cron signal) */
#define CILKIT_EXIT_USAGE	2	/* usage or input error */
#define CILKIT_EXIT_CLUSTER	3	/* cluster/API unreachable, auth or RBAC */
#define CILKIT_EXIT_IO		4	/* local I/O failure (disk full, EPIPE...) */
#define CILKIT_EXIT_REMOTE	5	/* a command in a pod failed or is missing */
#define CILKIT_EXIT_INTERRUPTED	6	/* stopped by a signal before finishing */

#endif /* CILKIT_EXITCODES_H */
