/* driver.c - running driver commands in their own process group (see fleet.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kupgrade/fleet.h"

#define KILL_GRACE_MS 2000

bool kup_driver_never_ran(const char *out_path, pid_t pid)
{
	char buf[256], want[128];
	snprintf(want, sizeof(want), "%s (pid %ld)\n", KUP_DRIVER_NOT_RUN, (long)pid);
	if (pid <= 0 || !out_path || !*out_path)
		return false;
	kup_fleet_read_tail(out_path, buf, sizeof(buf), NULL);
	return strcmp(buf, want) == 0;
}

bool kup_process_group_alive(pid_t pgid)
{
	if (pgid <= 0)
		return false;
	if (kill(-pgid, 0) == 0 || errno == EPERM)
		return true;
	/* the group is gone; the leader alone (not yet reaped zombie of ours) */
	return kill(pgid, 0) == 0 && waitpid(pgid, NULL, WNOHANG) == 0;
}

size_t kup_fleet_read_tail(const char *path, char *buf, size_t size, bool *cut)
{
	int fd;
	off_t end;
	ssize_t n;
	size_t want = size - 1, got = 0;

	buf[0] = '\0';
	if (cut)
		*cut = false;
	if (!path || !*path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		close(fd);
		return 0;
	}
	if ((size_t)end > want) {
		if (cut)
			*cut = true;
		lseek(fd, end - (off_t)want, SEEK_SET);
	} else {
		lseek(fd, 0, SEEK_SET);
		want = (size_t)end;
	}
	while (got < want && (n = read(fd, buf + got, want - got)) > 0)
		got += (size_t)n;
	close(fd);
	/* NUL bytes would cut the text short: make them visible */
	for (size_t i = 0; i < got; i++)
		if (buf[i] == '\0')
			buf[i] = '?';
	buf[got] = '\0';
	/* shown on terminals and in the report, kept in the store: no terminal control, no secret */
	got = kup_strip_escapes(buf, got);
	if (kup_redact_needed(buf, got)) {
		struct kup_buf r = KUP_BUF_INIT;
		kup_buf_init(&r);
		kup_redact_add(&r, buf, got);
		if (r.oom) {
			got = (size_t)snprintf(buf, size, "(output withheld: out of memory)");
		} else {
			got = r.len < size - 1 ? r.len : size - 1;
			/* keep the end (the tail) when masking made it longer */
			memcpy(buf, r.buf + (r.len - got), got);
			buf[got] = '\0';
		}
		kup_buf_release(&r);
	}
	return got;
}

static void child(const char *cmd, const char *dir, const char *out_path, int go_rd)
{
	char c;
	ssize_t n;
	int fd;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	do
		n = read(go_rd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		/* the controller died before letting us run: say so where a successor looks */
		char msg[128];
		int len = snprintf(msg, sizeof(msg), "%s (pid %ld)\n", KUP_DRIVER_NOT_RUN, (long)getpid());
		fd = out_path && *out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
		if (fd >= 0) {
			if (write(fd, msg, (size_t)len) < 0)
				_exit(127);
			close(fd);
		}
		_exit(127);
	}
	close(go_rd);
	if (dir && *dir && chdir(dir) != 0)
		_exit(126);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(out_path && *out_path ? out_path : "/dev/null",
		  O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

enum kup_status kup_driver_spawn(struct kup_driver *d, const char *cmd, const char *dir,
				 const char *out_path, struct kup_error *err)
{
	int go[2];
	pid_t pid;

	memset(d, 0, sizeof(*d));
	d->go_fd = -1;
	d->out_path = kup_strdup(out_path ? out_path : "");
	if (!d->out_path)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	if (pipe2(go, O_CLOEXEC) != 0) {
		kup_driver_release(d);
		return kup_error_set(err, KUP_IO, NULL, 0, 0, "cannot create a pipe: %s",
				     strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(go[0]);
		close(go[1]);
		kup_driver_release(d);
		return kup_error_set(err, KUP_IO, NULL, 0, 0, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(go[1]);
		child(cmd, dir, out_path, go[0]);
	}
	close(go[0]);
	setpgid(pid, pid);   /* both sides, so no race with killpg */
	d->pid = pid;
	d->go_fd = go[1];
	return KUP_OK;
}

enum kup_status kup_driver_go(struct kup_driver *d, int64_t timeout_ms)
{
	ssize_t n;

	if (d->go_fd < 0)
		return KUP_INVALID;
	d->deadline_ms = timeout_ms > 0 ? kup_mono_ms() + timeout_ms : 0;
	do
		n = write(d->go_fd, "g", 1);
	while (n < 0 && errno == EINTR);
	close(d->go_fd);
	d->go_fd = -1;
	return n == 1 ? KUP_OK : KUP_IO;
}

static void finish(struct kup_driver *d, int wst)
{
	if (WIFEXITED(wst))
		d->status = WEXITSTATUS(wst);
	else if (WIFSIGNALED(wst))
		d->status = 128 + WTERMSIG(wst);
	else
		d->status = 255;
	if (d->timed_out && d->status == 0)
		d->status = 124;
	/* children of the shell may still hold the group: end them too */
	kill(-d->pid, SIGKILL);
	d->tail_len = kup_fleet_read_tail(d->out_path, d->tail, sizeof(d->tail), &d->tail_cut);
	if (d->out_path && d->out_path[0])
		unlink(d->out_path);
	d->done = true;
}

bool kup_driver_poll(struct kup_driver *d)
{
	int wst;
	pid_t r;

	if (d->done)
		return true;
	if (d->pid <= 0)
		return true;
	r = waitpid(d->pid, &wst, WNOHANG);
	if (r == d->pid) {
		finish(d, wst);
		return true;
	}
	if (r < 0 && errno == ECHILD) {
		d->status = 255;
		d->done = true;
		return true;
	}
	if (d->deadline_ms) {
		int64_t now = kup_mono_ms();
		if (!d->timed_out && now >= d->deadline_ms) {
			d->timed_out = true;
			kill(-d->pid, SIGTERM);
			d->kill_at_ms = now + KILL_GRACE_MS;
		} else if (d->timed_out && d->kill_at_ms && now >= d->kill_at_ms) {
			kill(-d->pid, SIGKILL);
			d->kill_at_ms = 0;
		}
	}
	return false;
}

enum kup_status kup_driver_run(const char *cmd, const char *dir, const char *out_path,
			       int64_t timeout_ms, struct kup_driver *d, struct kup_error *err)
{
	enum kup_status st = kup_driver_spawn(d, cmd, dir, out_path, err);
	if (st != KUP_OK)
		return st;
	if ((st = kup_driver_go(d, timeout_ms)) != KUP_OK) {
		kup_driver_abort(d);
		return kup_error_set(err, st, NULL, 0, 0, "cannot start '%s'", cmd);
	}
	while (!kup_driver_poll(d)) {
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return KUP_OK;
}

void kup_driver_release(struct kup_driver *d)
{
	free(d->out_path);
	d->out_path = NULL;
}

void kup_driver_abort(struct kup_driver *d)
{
	int wst;

	if (d->done || d->pid <= 0)
		return;
	if (d->go_fd >= 0) {
		close(d->go_fd);
		d->go_fd = -1;
	}
	kill(-d->pid, SIGKILL);
	if (waitpid(d->pid, &wst, 0) == d->pid)
		finish(d, wst);
	d->done = true;
}
