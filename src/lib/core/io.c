/*
 * io.c - the write-side I/O indirection of core.h and the one way files
 * are written: a temporary file beside the target (0600 unless told
 * otherwise), fsync, rename over the target, fsync of the directory.  On
 * any failure the temporary file is removed, the target is untouched and
 * the error names the target and the system's reason.
 *
 * Tests replace the calls with kup_io_set_ops(); a build with
 * -DKUP_FAULT_INJECTION=ON also reads $KUP_IO_FAIL=OP:N:ERRNO[,...] (OP one
 * of open, write, fsync, close, rename; the Nth such call fails with ERRNO,
 * ENOSPC or EIO or a number; ERRNO STOP instead stops the process with
 * SIGSTOP before the call and then makes it, so a test can signal it
 * there: tests/fix-signal.sh).
 */
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kupgrade/core.h"

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static ssize_t real_write(int fd, const void *p, size_t n)
{
	return write(fd, p, n);
}

static int real_fsync(int fd)
{
	return fsync(fd);
}

static int real_close(int fd)
{
	return close(fd);
}

static int real_rename(const char *from, const char *to)
{
	return rename(from, to);
}

static int real_unlink(const char *path)
{
	return unlink(path);
}

static const struct kup_io_ops real_ops = {
	real_open, real_write, real_fsync, real_close, real_rename, real_unlink,
};

#ifdef KUP_FAULT_INJECTION
enum { F_OPEN, F_WRITE, F_FSYNC, F_CLOSE, F_RENAME, F_MKSTEMP, F_SQLITE_WRITE, F_SQLITE_SYNC, F_N };
static const char *const fault_names[F_N] = { "open", "write", "fsync", "close", "rename",
					      "mkstemp", "sqlite-write", "sqlite-sync" };
static unsigned long fault_calls[F_N], fault_at[F_N];
static int fault_errno[F_N];
static bool fault_read;

static void fault_env(void)
{
	const char *v = getenv("KUP_IO_FAIL");
	char buf[256], *save = NULL, *tok;

	fault_read = true;
	if (!v || !*v || strlen(v) >= sizeof(buf))
		return;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(tok, ':'), *c2;
		if (!c1)
			continue;
		*c1++ = '\0';
		c2 = strchr(c1, ':');
		if (c2)
			*c2++ = '\0';
		for (int i = 0; i < F_N; i++)
			if (strcmp(tok, fault_names[i]) == 0) {
				fault_at[i] = strtoul(c1, NULL, 10);
				fault_errno[i] = !c2 || strcmp(c2, "ENOSPC") == 0 ? ENOSPC
						 : strcmp(c2, "EIO") == 0 ? EIO
						 : strcmp(c2, "STOP") == 0 ? -1 : atoi(c2);
			}
	}
}

static bool fault(int op)
{
	if (!fault_read)
		fault_env();
	if (fault_at[op] && ++fault_calls[op] == fault_at[op]) {
		if (fault_errno[op] == -1) {
			raise(SIGSTOP);
			return false;
		}
		errno = fault_errno[op];
		return true;
	}
	return false;
}

static int fault_open(const char *path, int flags, mode_t mode)
{
	return fault(F_OPEN) ? -1 : open(path, flags, mode);
}

static ssize_t fault_write(int fd, const void *p, size_t n)
{
	return fault(F_WRITE) ? -1 : write(fd, p, n);
}

static int fault_fsync(int fd)
{
	return fault(F_FSYNC) ? -1 : fsync(fd);
}

static int fault_close(int fd)
{
	if (fault(F_CLOSE)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int fault_rename(const char *from, const char *to)
{
	return fault(F_RENAME) ? -1 : rename(from, to);
}

static const struct kup_io_ops default_ops = {
	fault_open, fault_write, fault_fsync, fault_close, fault_rename, real_unlink,
};

bool kup_io_fault(const char *op)
{
	for (int i = 0; i < F_N; i++)
		if (strcmp(op, fault_names[i]) == 0)
			return fault(i);
	return false;
}
#else
#define default_ops real_ops

bool kup_io_fault(const char *op)
{
	(void)op;
	return false;
}
#endif

int kup_io_mkstemp(char *tmpl)
{
	if (kup_io_fault("mkstemp"))
		return -1;
	return mkstemp(tmpl);
}

static const struct kup_io_ops *io = &default_ops;

const struct kup_io_ops *kup_io_set_ops(const struct kup_io_ops *ops)
{
	const struct kup_io_ops *old = io;
	io = ops ? ops : &default_ops;
	return old;
}

const struct kup_io_ops *kup_io(void)
{
	return io;
}

const struct kup_io_ops *kup_io_real(void)
{
	return &real_ops;
}

bool kup_io_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = io->write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (w == 0) {
			errno = EIO;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* ---- files written whole ------------------------------------------------ */

static unsigned long tmp_seq;

static enum kup_status fail(struct kup_wfile *w, struct kup_error *err, int e, const char *what)
{
	enum kup_status st = e == ENOMEM ? KUP_NOMEM : KUP_IO;

	if (!w->failed) {
		w->failed = true;
		w->werrno = e;
	}
	kup_error_set(err, st, NULL, 0, 0, "cannot %s '%s': %s", what,
		      w->to_stdout ? "standard output" : w->path, strerror(e));
	return st;
}

static enum kup_status open_failed(struct kup_wfile *w, struct kup_error *err, int e,
				   const char *what)
{
	enum kup_status st = fail(w, err, e, what);
	kup_wfile_abort(w);
	return st;
}

enum kup_status kup_wfile_open(struct kup_wfile *w, const char *path, mode_t mode,
			       struct kup_error *err)
{
	const char *slash;
	struct kup_buf t = KUP_BUF_INIT;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->mode = mode ? mode : 0600;
	kup_buf_init(&w->buf);
	if (!(w->path = kup_strdup(path)))
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "cannot write '%s': out of memory",
				     path);
	if (strcmp(path, "-") == 0) {
		w->to_stdout = true;
		w->fd = STDOUT_FILENO;
		return KUP_OK;
	}
	slash = strrchr(path, '/');
	for (int tries = 0; tries < 100; tries++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		kup_buf_reset(&t);
		if (slash)
			kup_buf_add(&t, path, (size_t)(slash - path) + 1);
		kup_buf_addf(&t, ".%s.kupgrade-%lx%lx", slash ? slash + 1 : path,
			     (unsigned long)getpid() ^ (unsigned long)ts.tv_nsec, ++tmp_seq);
		if (t.oom) {
			kup_buf_release(&t);
			return open_failed(w, err, ENOMEM, "write");
		}
		w->fd = io->open(t.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		int e = errno;
		kup_buf_release(&t);
		return open_failed(w, err, e, "create");
	}
	w->tmp = kup_buf_detach(&t, NULL);
	if (!w->tmp) {
		io->close(w->fd);
		w->fd = -1;
		return open_failed(w, err, ENOMEM, "write");
	}
	return KUP_OK;
}

static void flush_buf(struct kup_wfile *w)
{
	if (w->failed || !w->buf.len)
		return;
	if (!kup_io_write_all(w->fd, w->buf.buf, w->buf.len)) {
		w->failed = true;
		w->werrno = errno ? errno : EIO;
	}
	kup_buf_reset(&w->buf);
}

bool kup_wfile_write(struct kup_wfile *w, const void *p, size_t n)
{
	if (w->failed)
		return false;
	if (w->buf.len + n > (1u << 16)) {
		flush_buf(w);
		if (!w->failed && n > (1u << 16)) {
			if (!kup_io_write_all(w->fd, p, n)) {
				w->failed = true;
				w->werrno = errno ? errno : EIO;
			}
			return !w->failed;
		}
	}
	if (!w->failed) {
		kup_buf_add(&w->buf, p, n);
		if (w->buf.oom) {
			w->failed = true;
			w->werrno = ENOMEM;
		}
	}
	return !w->failed;
}

bool kup_wfile_puts(struct kup_wfile *w, const char *s)
{
	return kup_wfile_write(w, s, strlen(s));
}

void kup_wfile_abort(struct kup_wfile *w)
{
	if (!w->path)
		return;
	if (w->fd >= 0 && !w->to_stdout)
		io->close(w->fd);
	w->fd = -1;
	if (w->tmp)
		io->unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	w->tmp = w->path = NULL;
	kup_buf_release(&w->buf);
}

enum kup_status kup_wfile_commit(struct kup_wfile *w, struct kup_error *err)
{
	enum kup_status st = KUP_OK;
	const char *slash;

	if (!w->path)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "no file to commit");
	flush_buf(w);
	if (w->failed) {
		st = fail(w, err, w->werrno, "write");
		goto out;
	}
	if (w->to_stdout)
		goto out;
	if (fchmod(w->fd, w->mode & 07777) != 0 || io->fsync(w->fd) != 0) {
		st = fail(w, err, errno, "write");
		goto out;
	}
	{
		int fd = w->fd;
		w->fd = -1;
		if (io->close(fd) != 0) {
			st = fail(w, err, errno, "write");
			goto out;
		}
	}
	if (io->rename(w->tmp, w->path) != 0) {
		st = fail(w, err, errno, "replace");
		goto out;
	}
	free(w->tmp);
	w->tmp = NULL;
	/* make the rename durable */
	slash = strrchr(w->path, '/');
	{
		char *dir = slash ? kup_strndup(w->path, slash == w->path ? 1 : (size_t)(slash - w->path))
				  : kup_strdup(".");
		if (dir) {
			int dfd = open(dir, O_RDONLY | O_CLOEXEC);
			if (dfd >= 0) {
				(void)fsync(dfd);
				close(dfd);
			}
			free(dir);
		}
	}
out:
	kup_wfile_abort(w);
	return st;
}

enum kup_status kup_write_file(const char *path, const void *data, size_t len, mode_t mode,
			       struct kup_error *err)
{
	struct kup_wfile w;
	enum kup_status st = kup_wfile_open(&w, path, mode, err);

	if (st != KUP_OK)
		return st;
	kup_wfile_write(&w, data, len);
	return kup_wfile_commit(&w, err);
}

enum kup_status kup_create_private(const char *path, bool *created, struct kup_error *err)
{
	int fd;

	if (created)
		*created = false;
	fd = io->open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return KUP_OK;
		return kup_error_set(err, KUP_IO, path, 0, 0, "cannot create '%s': %s", path,
				     strerror(errno));
	}
	if (fchmod(fd, 0600) != 0 || io->close(fd) != 0) {
		int e = errno;
		io->unlink(path);
		return kup_error_set(err, KUP_IO, path, 0, 0, "cannot create '%s': %s", path,
				     strerror(e));
	}
	if (created)
		*created = true;
	return KUP_OK;
}

/* ---- clock and paths ------------------------------------------------------ */

int64_t kup_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kup_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

char *kup_path_join(const char *a, const char *b)
{
	struct kup_buf p = KUP_BUF_INIT;
	size_t n = strlen(a);

	kup_buf_add(&p, a, n);
	if (n && a[n - 1] != '/')
		kup_buf_addc(&p, '/');
	kup_buf_adds(&p, b);
	return kup_buf_detach(&p, NULL);
}

bool kup_has_ext(const char *name, const char *const *exts)
{
	size_t n = strlen(name), i;

	for (i = 0; exts[i]; i++) {
		size_t e = strlen(exts[i]);

		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}
