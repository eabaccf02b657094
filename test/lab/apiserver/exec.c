/*
 * exec.c - pods/exec over WebSocket for the lab API server.
 *
 * Speaks v5.channel.k8s.io and v4.channel.k8s.io (kubernetes-api.md 3):
 * one binary message per chunk, first byte the channel (0 stdin, 1
 * stdout, 2 stderr, 3 status, 4 resize, 255 v5 close signal).  The
 * requested argv runs without a shell inside the pod's network namespace
 * (setns on /run/netns/NAME) in its own process group; output streams as
 * it arrives; the exit status goes out as a metav1.Status on channel 3,
 * followed by a close frame with code 1000.
 *
 * Every session runs in its connection's thread (thread-per-connection
 * mode) and does its own TLS I/O: see upgraded().
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "cilkit.h"
#include "kube_ws_frame.h"
#include "lab.h"

#define IN_CAP		(4u << 20)	/* buffered client bytes */
#define MSG_CAP		(2u << 20)	/* one assembled message */
#define OUT_CHUNK	32768		/* bytes per stdout/stderr message */
#define STDIN_CAP	(4u << 20)	/* stdin bytes waiting for the child */

struct session {
	struct lab_pod pod;
	char **argv;
	bool want_stdin, want_stdout, want_stderr, tty, v5;
	MHD_socket sock;	/* plain connection, or the TCP socket */
	gnutls_session_t tls;	/* NULL without TLS */
	struct MHD_UpgradeResponseHandle *urh;
	uint8_t *in;		/* raw bytes from the client */
	size_t inlen;
	uint8_t *msg;		/* message being assembled */
	size_t msglen;
	bool in_msg;
	uint8_t msgop;
	uint8_t *pend;		/* stdin bytes not yet written */
	size_t pendlen;
	bool stdin_eof;		/* client sent FF 00 or went away */
	bool client_closed;	/* close frame received */
	bool sock_eof;
	bool broken;		/* a send failed */
	uint16_t close_code;	/* the client broke the protocol: close */
	pid_t pid;
	uint8_t *extra;		/* bytes MHD read past the request */
	size_t extralen;
};

struct lab_pod *
lab_find_pod(const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < lab_cfg.npods; i++)
		if (strcmp(lab_cfg.pods[i].ns, ns) == 0 &&
		    strcmp(lab_cfg.pods[i].name, name) == 0)
			return &lab_cfg.pods[i];
	return NULL;
}

static void
free_argv(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/*
 * The connection: TLS records on the TCP socket through MHD's own
 * GnuTLS session (see upgraded() for why), or the plain socket.
 */
static ssize_t
io_send(struct session *s, const uint8_t *p, size_t len)
{
	ssize_t n;

	if (s->tls == NULL)
		return send(s->sock, p, len, MSG_NOSIGNAL);
	n = gnutls_record_send(s->tls, p, len);
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (n < 0) {
		errno = EPIPE;
		return -1;
	}
	return n;
}

/* > 0 bytes, 0 end of stream, -1 with errno EAGAIN or another error */
static ssize_t
io_recv(struct session *s, uint8_t *p, size_t cap)
{
	ssize_t n;

	if (s->tls == NULL)
		return recv(s->sock, p, cap, 0);
	n = gnutls_record_recv(s->tls, p, cap);
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (n < 0)
		return 0;	/* a TLS error ends the stream */
	return n;
}

/* Decrypted bytes waiting inside GnuTLS (poll() cannot see them). */
static bool
io_pending(struct session *s)
{
	return s->tls != NULL && gnutls_record_check_pending(s->tls) > 0;
}

static int
send_all(struct session *s, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0 && !s->broken) {
		n = io_send(s, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { s->sock, POLLOUT, 0 };

			poll(&pfd, 1, 1000);
			continue;
		}
		if (n <= 0) {
			s->broken = true;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return s->broken ? -1 : 0;
}

static int
send_frame(struct session *s, uint8_t op, const uint8_t *payload, size_t len)
{
	uint8_t hdr[KUBE_WS_MAX_HEADER];
	ssize_t h;

	/* header first, then the payload: no copy of big chunks */
	h = kube_ws_frame_encode(hdr, sizeof(hdr), true, op, NULL, 0, NULL);
	if (h < 0)
		return -1;
	if (len > 0) {
		uint8_t *buf = malloc(kube_ws_frame_size(len, false));
		ssize_t n;
		int rc;

		if (buf == NULL)
			return -1;
		n = kube_ws_frame_encode(buf, kube_ws_frame_size(len, false),
		    true, op, payload, len, NULL);
		rc = n < 0 ? -1 : send_all(s, buf, (size_t)n);
		free(buf);
		return rc;
	}
	return send_all(s, hdr, (size_t)h);
}

static int
send_channel(struct session *s, uint8_t ch, const uint8_t *data, size_t len)
{
	uint8_t buf[1 + OUT_CHUNK];

	if (len > OUT_CHUNK)
		return -1;
	buf[0] = ch;
	if (len > 0)
		memcpy(buf + 1, data, len);
	return send_frame(s, KUBE_WS_OP_BINARY, buf, len + 1);
}

static void
send_status(struct session *s, int exitcode, const char *failure)
{
	struct json_object *o = json_object_new_object(), *d, *cs, *c;
	char msg[1024], num[16];
	size_t i, n;
	const char *js;

	json_object_object_add(o, "metadata", json_object_new_object());
	if (failure != NULL) {
		json_object_object_add(o, "status",
		    json_object_new_string("Failure"));
		json_object_object_add(o, "message",
		    json_object_new_string(failure));
		json_object_object_add(o, "reason",
		    json_object_new_string("InternalError"));
		json_object_object_add(o, "code", json_object_new_int(500));
	} else if (exitcode == 0) {
		json_object_object_add(o, "status",
		    json_object_new_string("Success"));
	} else {
		n = (size_t)snprintf(msg, sizeof(msg), "command terminated "
		    "with non-zero exit code: error executing command [");
		for (i = 0; s->argv[i] != NULL && n < sizeof(msg); i++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
			    i ? " " : "", s->argv[i]);
		if (n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - n, "], exit code %d",
			    exitcode);
		snprintf(num, sizeof(num), "%d", exitcode);
		json_object_object_add(o, "status",
		    json_object_new_string("Failure"));
		json_object_object_add(o, "message",
		    json_object_new_string(msg));
		json_object_object_add(o, "reason",
		    json_object_new_string("NonZeroExitCode"));
		d = json_object_new_object();
		cs = json_object_new_array();
		c = json_object_new_object();
		json_object_object_add(c, "reason",
		    json_object_new_string("ExitCode"));
		json_object_object_add(c, "message",
		    json_object_new_string(num));
		json_object_array_add(cs, c);
		json_object_object_add(d, "causes", cs);
		json_object_object_add(o, "details", d);
	}
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	send_channel(s, 3, (const uint8_t *)js, strlen(js));
	json_object_put(o);
}

static void
send_close(struct session *s, uint16_t code)
{
	uint8_t p[2] = { (uint8_t)(code >> 8), (uint8_t)code };

	send_frame(s, KUBE_WS_OP_CLOSE, p, 2);
}

/*
 * Start argv in the pod's network namespace.  Returns the pid, or -1
 * with msg filled (the container runtime's wording for a missing
 * binary).
 */
static pid_t
spawn(struct session *s, int in[2], int out[2], int err[2], char *msg,
    size_t msglen)
{
	int errp[2], e = 0;
	pid_t pid;
	ssize_t n;

	if (pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(msg, msglen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	if (pid == 0) {
		char path[300], env_path[4096], host[128], node[128];
		char nsv[128], podv[128], state[4200];
		char *envp[8];
		int fd, nenv = 0, devnull;
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		snprintf(path, sizeof(path), "/run/netns/%s", s->pod.netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			e = errno ? errno : ENOENT;
			goto fail;
		}
		devnull = open("/dev/null", O_RDWR);
		dup2(s->want_stdin ? in[0] : devnull, 0);
		dup2(s->want_stdout ? out[1] : devnull, 1);
		if (s->tty && s->want_stdout)
			dup2(out[1], 2);
		else
			dup2(s->want_stderr ? err[1] : devnull, 2);
		if (chdir("/") < 0)
			e = 0;
		snprintf(env_path, sizeof(env_path), "PATH=%s%s/usr/local/sbin:"
		    "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		    s->pod.host && lab_cfg.bin_dir ? lab_cfg.bin_dir : "",
		    s->pod.host && lab_cfg.bin_dir ? ":" : "");
		envp[nenv++] = env_path;
		envp[nenv++] = "HOME=/root";
		snprintf(host, sizeof(host), "HOSTNAME=%s", s->pod.host ?
		    s->pod.node : s->pod.name);
		envp[nenv++] = host;
		snprintf(node, sizeof(node), "LAB_NODE=%s", s->pod.node);
		envp[nenv++] = node;
		snprintf(nsv, sizeof(nsv), "LAB_NAMESPACE=%s", s->pod.ns);
		envp[nenv++] = nsv;
		snprintf(podv, sizeof(podv), "LAB_POD=%s", s->pod.name);
		envp[nenv++] = podv;
		if (getenv("LAB_STATE") != NULL) {
			snprintf(state, sizeof(state), "LAB_STATE=%s",
			    getenv("LAB_STATE"));
			envp[nenv++] = state;
		}
		envp[nenv] = NULL;
		environ = envp;
		execvp(s->argv[0], s->argv);
		e = errno;
fail:
		n = write(errp[1], &e, sizeof(e));
		(void)n;
		_exit(127);
	}
	close(errp[1]);
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		if (e == ENOENT && strchr(s->argv[0], '/') == NULL)
			snprintf(msg, msglen, "error executing command in "
			    "container: failed to exec in container: failed to "
			    "start exec: OCI runtime exec failed: exec failed: "
			    "unable to start container process: exec: \"%s\": "
			    "executable file not found in $PATH: unknown",
			    s->argv[0]);
		else
			snprintf(msg, msglen, "error executing command in "
			    "container: failed to exec in container: OCI "
			    "runtime exec failed: exec failed: unable to start "
			    "container process: exec %s: %s: unknown",
			    s->argv[0], strerror(e));
		return -1;
	}
	return pid;
}

/* Handle one complete message from the client. */
static void
on_message(struct session *s, uint8_t op, const uint8_t *p, size_t len)
{
	if (op != KUBE_WS_OP_BINARY) {
		/* text on a binary protocol */
		s->close_code = KUBE_WS_CLOSE_PROTOCOL;
		return;
	}
	if (len == 0)
		return;
	switch (p[0]) {
	case 0:
		if (!s->want_stdin || s->stdin_eof || len == 1)
			return;
		if (s->pendlen + len - 1 > STDIN_CAP) {
			s->close_code = KUBE_WS_CLOSE_TOOBIG;
			return;
		}
		memcpy(s->pend + s->pendlen, p + 1, len - 1);
		s->pendlen += len - 1;
		break;
	case 255:
		/* v5 CLOSE signal: exactly FF <channel> */
		if (!s->v5 || len != 2) {
			s->close_code = KUBE_WS_CLOSE_PROTOCOL;
			return;
		}
		if (p[1] == 0)
			s->stdin_eof = true;
		break;
	default:
		break;		/* resize (4) and unknown channels */
	}
}

/* Parse what the client sent; returns -1 on a protocol error. */
static int
drain_input(struct session *s)
{
	struct kube_ws_frame f;
	char err[256];
	ssize_t n;
	size_t off = 0;

	while (off < s->inlen) {
		n = kube_ws_frame_parse(s->in + off, s->inlen - off, true,
		    MSG_CAP, &f, err, sizeof(err));
		if (n == 0)
			break;
		if (n < 0)
			return -1;
		off += (size_t)n;
		switch (f.opcode) {
		case KUBE_WS_OP_PING:
			send_frame(s, KUBE_WS_OP_PONG, f.payload, f.len);
			break;
		case KUBE_WS_OP_PONG:
			break;
		case KUBE_WS_OP_CLOSE:
			s->client_closed = true;
			s->stdin_eof = true;
			break;
		case KUBE_WS_OP_CONT:
			if (!s->in_msg || s->msglen + f.len > MSG_CAP)
				return -1;
			memcpy(s->msg + s->msglen, f.payload, f.len);
			s->msglen += f.len;
			if (f.fin) {
				s->in_msg = false;
				on_message(s, s->msgop, s->msg, s->msglen);
			}
			break;
		default:
			if (s->in_msg)
				return -1;
			if (f.fin) {
				on_message(s, f.opcode, f.payload, f.len);
			} else {
				s->in_msg = true;
				s->msgop = f.opcode;
				memcpy(s->msg, f.payload, f.len);
				s->msglen = f.len;
			}
			break;
		}
	}
	memmove(s->in, s->in + off, s->inlen - off);
	s->inlen -= off;
	return s->close_code != 0 ? -1 : 0;
}

static void *
session_main(void *arg)
{
	struct session *s = arg;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	char msg[1024];
	int status = 0, exitcode = -1, i;
	bool out_open, err_open, reaped = false;
	struct timespec deadline;
	uint8_t buf[OUT_CHUNK];
	ssize_t n;

	s->in = malloc(IN_CAP);
	s->msg = malloc(MSG_CAP);
	s->pend = malloc(STDIN_CAP);
	if (s->in == NULL || s->msg == NULL || s->pend == NULL)
		goto done;
	if (s->extralen > 0) {
		memcpy(s->in, s->extra, s->extralen);
		s->inlen = s->extralen;
		if (drain_input(s) < 0)
			s->broken = true;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0)
		goto done;

	/* The empty first message on the lowest writable channel. */
	send_channel(s, s->want_stdout ? 1 : s->want_stderr && !s->tty ?
	    2 : 3, NULL, 0);
	s->pid = spawn(s, in, out, err, msg, sizeof(msg));
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	if (s->pid < 0) {
		send_status(s, 0, msg);
		goto closing;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(s->sock, F_SETFL, fcntl(s->sock, F_GETFL) | O_NONBLOCK);
	if (!s->want_stdin) {
		close(in[1]);
		in[1] = -1;
	}
	out_open = err_open = true;
	/* Pump until the child's output ends (or the client goes away). */
	while ((out_open || err_open) && !s->broken) {
		struct pollfd pfd[4];
		int np = 0, isock = -1, iout = -1, ierr = -1, iin = -1;

		if (!s->sock_eof && s->pendlen < STDIN_CAP / 2) {
			pfd[np] = (struct pollfd){ s->sock, POLLIN, 0 };
			isock = np++;
		}
		if (out_open) {
			pfd[np] = (struct pollfd){ out[0], POLLIN, 0 };
			iout = np++;
		}
		if (err_open) {
			pfd[np] = (struct pollfd){ err[0], POLLIN, 0 };
			ierr = np++;
		}
		if (in[1] >= 0 && s->pendlen > 0) {
			pfd[np] = (struct pollfd){ in[1], POLLOUT, 0 };
			iin = np++;
		}
		if (poll(pfd, (nfds_t)np, isock >= 0 && io_pending(s) ? 0 :
		    -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (isock >= 0 && (pfd[isock].revents || io_pending(s))) {
			n = io_recv(s, s->in + s->inlen, IN_CAP - s->inlen);
			if (n > 0) {
				s->inlen += (size_t)n;
				if (drain_input(s) < 0) {
					send_close(s, s->close_code ?
					    s->close_code :
					    KUBE_WS_CLOSE_PROTOCOL);
					s->broken = true;
				}
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				s->sock_eof = true;
				s->stdin_eof = true;
				/* nobody left to read the output */
				kill(-s->pid, SIGKILL);
			}
			if (s->client_closed)
				kill(-s->pid, SIGKILL);
		}
		if (iin >= 0 && pfd[iin].revents) {
			n = write(in[1], s->pend, s->pendlen);
			if (n > 0) {
				memmove(s->pend, s->pend + n,
				    s->pendlen - (size_t)n);
				s->pendlen -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN &&
			    errno != EINTR) {
				s->pendlen = 0;
				close(in[1]);
				in[1] = -1;
			}
		}
		if (in[1] >= 0 && s->stdin_eof && s->pendlen == 0) {
			close(in[1]);
			in[1] = -1;
		}
		for (i = 0; i < 2; i++) {
			int idx = i == 0 ? iout : ierr;
			int fd = i == 0 ? out[0] : err[0];

			if (idx < 0 || pfd[idx].revents == 0)
				continue;
			n = read(fd, buf, sizeof(buf));
			if (n > 0) {
				send_channel(s, (uint8_t)(i + 1), buf,
				    (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				if (i == 0)
					out_open = false;
				else
					err_open = false;
			}
		}
	}
	if (s->broken || s->sock_eof || s->client_closed)
		kill(-s->pid, SIGKILL);
	if (in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	reaped = true;
	if (WIFEXITED(status))
		exitcode = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		exitcode = 128 + WTERMSIG(status);
	if (!s->broken && !s->sock_eof)
		send_status(s, exitcode, NULL);

closing:
	if (!s->broken && !s->sock_eof) {
		send_close(s, KUBE_WS_CLOSE_NORMAL);
		/* wait (briefly) for the client's close frame */
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += 5;
		fcntl(s->sock, F_SETFL, fcntl(s->sock, F_GETFL) | O_NONBLOCK);
		while (!s->client_closed && !s->sock_eof && !s->broken) {
			struct pollfd pfd = { s->sock, POLLIN, 0 };
			struct timespec now;
			long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (deadline.tv_sec - now.tv_sec) * 1000 +
			    (deadline.tv_nsec - now.tv_nsec) / 1000000;
			if (!io_pending(s) &&
			    (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0))
				break;
			n = io_recv(s, s->in + s->inlen, IN_CAP - s->inlen);
			if (n <= 0) {
				if (n < 0 && (errno == EAGAIN ||
				    errno == EINTR))
					continue;
				break;
			}
			s->inlen += (size_t)n;
			if (drain_input(s) < 0)
				break;
		}
	}
done:
	if (!reaped && s->pid > 0) {
		kill(-s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
	free_argv(s->argv);
	free(s->in);
	free(s->msg);
	free(s->pend);
	free(s->extra);
	free(s);
	return NULL;
}

static void
upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
    const char *extra_in, size_t extra_in_size, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct session *s = cls;
	const union MHD_ConnectionInfo *ci;
	pthread_t t;
	pthread_attr_t attr;

	(void)con_cls;
	s->sock = sock;
	s->urh = urh;
	/* bytes the client sent right after its request (rare) */
	if (extra_in_size > 0 && extra_in_size <= IN_CAP) {
		s->extra = malloc(extra_in_size);
		if (s->extra != NULL) {
			memcpy(s->extra, extra_in, extra_in_size);
			s->extralen = extra_in_size;
		}
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL) {
		/*
		 * MHD 0.9.75 pumps an upgraded TLS connection through a
		 * socketpair with whatever is left of the connection's
		 * memory pool, which after the request is nothing: it
		 * falls back to an 8-byte buffer and moves about 150 KB/s.
		 * So the session talks TLS itself, on MHD's GnuTLS session
		 * and the TCP socket, here in the connection's own thread
		 * (thread-per-connection mode): MHD does not touch the
		 * connection until this handler returns, and by then the
		 * session is over and has closed the upgraded socket.
		 */
		s->tls = (gnutls_session_t)ci->tls_session;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci != NULL) {
			s->sock = ci->connect_fd;
			session_main(s);
			return;
		}
		s->tls = NULL;
		s->sock = sock;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, session_main, s) != 0) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		free_argv(s->argv);
		free(s->extra);
		free(s);
	}
	pthread_attr_destroy(&attr);
}

static const char *
pick_protocol(const char *offered)
{
	static const char *const ours[] = { "v5.channel.k8s.io",
		"v4.channel.k8s.io" };
	const char *p = offered;
	size_t i, l;

	/* the first protocol the client offers that we speak */
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		l = strcspn(p, ", ");
		for (i = 0; i < 2; i++)
			if (strlen(ours[i]) == l && strncmp(p, ours[i], l) == 0)
				return ours[i];
		p += l;
	}
	return NULL;
}

int
lab_exec_upgrade(struct MHD_Connection *conn, struct lab_pod *pod,
    char **argv, bool want_stdin, bool want_stdout, bool want_stderr,
    bool tty)
{
	const char *key, *ver, *offered, *proto;
	struct MHD_Response *resp;
	struct session *s;
	char accept[29];
	int ret;

	key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Sec-WebSocket-Key");
	ver = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Sec-WebSocket-Version");
	offered = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Sec-WebSocket-Protocol");
	proto = pick_protocol(offered);
	if (key == NULL || ver == NULL || strcmp(ver, "13") != 0 ||
	    proto == NULL) {
		static const char body[] = "{\"kind\":\"Status\",\"apiVersion\":"
		    "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
		    "\"unable to upgrade: the lab speaks WebSocket version 13 "
		    "with v5.channel.k8s.io or v4.channel.k8s.io\",\"reason\":"
		    "\"BadRequest\",\"code\":400}";

		free_argv(argv);
		resp = MHD_create_response_from_buffer(sizeof(body) - 1,
		    (void *)body, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Type",
		    "application/json");
		ret = MHD_queue_response(conn, 400, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		free_argv(argv);
		return MHD_NO;
	}
	s->pod = *pod;
	s->argv = argv;
	s->want_stdin = want_stdin;
	s->want_stdout = want_stdout;
	s->want_stderr = want_stderr;
	s->tty = tty;
	s->v5 = strcmp(proto, "v5.channel.k8s.io") == 0;
	kube_ws_accept_key(key, accept);
	resp = MHD_create_response_for_upgrade(upgraded, s);
	if (resp == NULL) {
		free_argv(argv);
		free(s);
		return MHD_NO;
	}
	/* MHD 0.9.75 adds "Connection: Upgrade" itself. */
	MHD_add_response_header(resp, "Upgrade", "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	MHD_add_response_header(resp, "Sec-WebSocket-Protocol", proto);
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}
