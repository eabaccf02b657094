/*
 * kube_exec.h - run a command in a pod through the API server's
 * pods/exec endpoint over WebSocket (kubernetes-api.md section 3).
 *
 * The WebSocket runs over a libcurl CONNECT_ONLY connection set up
 * exactly as the REST client's (same TLS, proxy and credentials),
 * forced to HTTP/1.1.  The subprotocols offered are v5.channel.k8s.io
 * then v4.channel.k8s.io.  stdout and stderr reach the callbacks as the
 * bytes arrive, untouched (a pcap stream goes through as is); the exit
 * status comes from the channel-3 metav1.Status.
 */
#ifndef CILKIT_KUBE_EXEC_H
#define CILKIT_KUBE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_client.h"

/* Largest WebSocket frame accepted from the server. */
#define KUBE_EXEC_MAX_FRAME	((size_t)64 << 20)
/* Ping interval and the default liveness limit, as kubectl. */
#define KUBE_EXEC_PING_MS	5000
#define KUBE_EXEC_IDLE_MS	61000

/*
 * A stream callback: buf[0..len) are the next bytes of that stream.
 * Return 0 to go on, non-zero to stop the command (kube_exec then
 * returns CILKIT_EINTR).
 */
typedef int (*kube_exec_cb)(void *arg, const uint8_t *buf, size_t len);

struct kube_exec_opts {
	const char *ns;			/* namespace (required) */
	const char *pod;		/* pod name (required) */
	const char *container;		/* NULL: the pod's only container */
	const char *const *argv;	/* NULL-terminated, argv[0] needed */
	kube_exec_cb on_stdout;		/* NULL: stdout not requested */
	kube_exec_cb on_stderr;		/* NULL: stderr not requested */
	void *arg;			/* passed to the callbacks */
	bool use_stdin;			/* send stdin_fd to the command */
	int stdin_fd;			/* read until EOF, then v5 close */
	long timeout_ms;		/* overall deadline, 0: none */
	long idle_ms;			/* nothing received (data or pong)
					 * for this long fails; 0: 61 s,
					 * < 0: never */
};

struct kube_exec_result {
	int exit_code;			/* 0..255 */
	char protocol[24];		/* negotiated subprotocol */
	uint64_t stdout_bytes, stderr_bytes;
};

/*
 * Run the command and wait for it.  Returns 0 when the command ran to
 * its end (res->exit_code set, possibly non-zero), or a negative enum
 * cilkit_err with one sentence in errbuf: CILKIT_ENOTFOUND (pod or
 * container), CILKIT_EFORBIDDEN (RBAC: get on pods/exec),
 * CILKIT_EAUTH, CILKIT_ETIMEOUT (deadline or liveness), CILKIT_EINTR
 * (cancel flag set or a callback asked to stop), CILKIT_ECONN,
 * CILKIT_EPROTO (the server broke the protocol), CILKIT_EIO (the
 * command could not start, e.g. "executable file not found in $PATH":
 * the Status message is in errbuf).
 * The client's cancel flag (kube_client_set_cancel) is honoured.
 */
int kube_exec(struct kube_client *c, const struct kube_exec_opts *o,
    struct kube_exec_result *res, char *errbuf, size_t errlen);

/*
 * Exit status from a channel-3 metav1.Status JSON (kubernetes-api.md
 * 3.4): returns 0 with *exit_code set for Success (0) and
 * NonZeroExitCode (from the ExitCode cause), or a negative enum
 * cilkit_err with the Status message in errbuf for any other Failure or
 * malformed JSON.  Exposed for tests.
 */
int kube_exec_parse_status(const char *json, size_t len, int *exit_code,
    char *errbuf, size_t errlen);

#endif /* CILKIT_KUBE_EXEC_H */
