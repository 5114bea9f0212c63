/*
 * core.h - status codes, errors, strings and the arena allocator.
 *
 * Every library call returns an `enum kup_status`.  KUP_OK is zero; every
 * other value is a failure whose human text is kup_strerror(status) and
 * whose details (path, line, column, message) go into a `struct kup_error`
 * supplied by the caller.  The library never prints and never exits.
 *
 * Codes are generated from one X-macro table and are never renumbered: add
 * new codes at the end.
 */
#ifndef KUPGRADE_CORE_H
#define KUPGRADE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#define KUP_STATUS_TABLE(X)                                                  \
	X(OK,          0, "success")                                         \
	X(NOMEM,       1, "out of memory")                                   \
	X(IO,          2, "input/output error")                              \
	X(PARSE,       3, "malformed input")                                 \
	X(INVALID,     4, "invalid argument")                                \
	X(NOTFOUND,    5, "not found")                                       \
	X(TOOBIG,      6, "input exceeds a limit")                           \
	X(VERSION,     7, "malformed version")                               \
	X(ENCODING,    8, "bad encoding")                                    \
	X(KB,          9, "invalid knowledge base")                          \
	X(USAGE,      10, "usage error")                                     \
	X(STOP,       11, "stopped by the caller")                          \
	X(UNAVAILABLE, 12, "service unavailable")                            \
	X(CONFLICT,   13, "conflict with the recorded state")

enum kup_status {
#define KUP_X_ENUM(name, num, text) KUP_##name = num,
	KUP_STATUS_TABLE(KUP_X_ENUM)
#undef KUP_X_ENUM
};

/* The fixed text of a status code ("malformed input"). Never NULL. */
const char *kup_strerror(enum kup_status status);

/*
 * A failure's details.  `path` and `msg` are owned by the struct (NULL
 * when unset); line and column are 1-based, 0 when unknown.  `object`
 * names the object the error concerns ("Deployment shop/web"), when known.
 */
struct kup_error {
	enum kup_status code;
	char *path;
	uint32_t line;
	uint32_t column;
	char *object;
	char *msg;
};

#define KUP_ERROR_INIT { KUP_OK, NULL, 0, 0, NULL, NULL }

void kup_error_init(struct kup_error *err);
void kup_error_release(struct kup_error *err);
/* Sets every field (copies `path` and the formatted message); returns code. */
enum kup_status kup_error_set(struct kup_error *err, enum kup_status code,
			      const char *path, uint32_t line, uint32_t column,
			      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void kup_error_set_object(struct kup_error *err, const char *object);
/* Copies src into dst (dst is released first). */
enum kup_status kup_error_copy(struct kup_error *dst, const struct kup_error *src);

/*
 * A callback that receives errors found while reading input.  Readers keep
 * going after a reported error wherever the input allows.  The error is only
 * valid during the call.
 */
struct kup_error_sink {
	void (*fn)(void *ctx, const struct kup_error *err);
	void *ctx;
};
void kup_error_emit(const struct kup_error_sink *sink, const struct kup_error *err);
/*
 * Formats and emits one error in a single call; `object` (may be NULL) names
 * the object it concerns.
 */
void kup_error_vreport(const struct kup_error_sink *sink, enum kup_status code,
		       const char *path, uint32_t line, uint32_t column, const char *object,
		       const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
/* Formats and emits one error in a single call. */
void kup_error_report(const struct kup_error_sink *sink, enum kup_status code,
		      const char *path, uint32_t line, uint32_t column,
		      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- strings ---------------------------------------------------------- */

/* A borrowed byte slice; `p` need not be NUL-terminated. */
struct kup_str {
	const char *p;
	size_t n;
};

#define KUP_STR_NULL ((struct kup_str){ NULL, 0 })
#define KUP_STR_LIT(s) ((struct kup_str){ (s), sizeof(s) - 1 })

struct kup_str kup_str_c(const char *s);
bool kup_str_eq(struct kup_str a, struct kup_str b);
bool kup_str_eqc(struct kup_str a, const char *s);
bool kup_str_has_prefix(struct kup_str s, const char *prefix);
bool kup_str_has_suffix(struct kup_str s, const char *suffix);

/*
 * A growable NUL-terminated byte buffer (git's strbuf).  After kup_buf_init()
 * `buf` is never NULL and always NUL-terminated; a buffer set up with
 * KUP_BUF_INIT has buf == NULL until the first append (or kup_buf_init).  Allocation failure is sticky:
 * `oom` is set, further appends are ignored, and the caller checks once.
 */
struct kup_buf {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
};
#define KUP_BUF_INIT { NULL, 0, 0, false }
void kup_buf_init(struct kup_buf *b);
void kup_buf_release(struct kup_buf *b);
void kup_buf_reset(struct kup_buf *b);
bool kup_buf_grow(struct kup_buf *b, size_t extra);
void kup_buf_add(struct kup_buf *b, const void *data, size_t len);
void kup_buf_adds(struct kup_buf *b, const char *s);
void kup_buf_addc(struct kup_buf *b, char c);
void kup_buf_addf(struct kup_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kup_buf_vaddf(struct kup_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Hands the buffer to the caller (malloc'd, NUL-terminated) and resets b. */
char *kup_buf_detach(struct kup_buf *b, size_t *len);

/* Decodes standard base64 into out (whitespace ignored); false on bad input
 * or when memory ran out.  (base64.c) */
bool kup_base64_decode(const char *in, size_t len, struct kup_buf *out);

/* ---- arena ------------------------------------------------------------ */

/*
 * A chained-block bump allocator for everything that lives as long as one
 * document (or one run).  kup_arena_reset() keeps the first block and frees
 * the rest, so reading many documents costs no per-node free.  A failed
 * allocation returns NULL and sets a sticky flag (kup_arena_failed()).
 * An optional cap bounds the total bytes held; past it allocation fails.
 */
struct kup_arena_block;
struct kup_arena {
	struct kup_arena_block *head;
	size_t block_size;
	size_t total;      /* bytes held in blocks */
	size_t cap;        /* 0 = no cap */
	bool failed;
};

void kup_arena_init(struct kup_arena *a, size_t block_size);
void kup_arena_release(struct kup_arena *a);
void kup_arena_reset(struct kup_arena *a);
void *kup_arena_alloc(struct kup_arena *a, size_t size);
void *kup_arena_zalloc(struct kup_arena *a, size_t size);
char *kup_arena_strndup(struct kup_arena *a, const char *s, size_t n);
char *kup_arena_strdup(struct kup_arena *a, const char *s);
char *kup_arena_printf(struct kup_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline bool kup_arena_failed(const struct kup_arena *a) { return a->failed; }

/* ---- allocation --------------------------------------------------------- */

/*
 * Every allocation of libkupgrade and the CLI goes through these (free() is
 * plain free()).  They behave as malloc/calloc/realloc/strdup/strndup: NULL
 * on failure, never abort.  In a build with -DKUP_FAULT_INJECTION=ON they
 * count calls, and the Nth one (and every one after it, when
 * kup_fault_alloc_set(n, true)) fails: $KUP_ALLOC_FAIL=N[+] sets it for a
 * whole process (the "torture" tests); the count of calls so far is
 * kup_fault_alloc_count().  Allocations inside json-c, libyaml, libcurl,
 * SQLite and libpq are theirs and are not counted.
 */
void *kup_malloc(size_t n);
void *kup_calloc(size_t nmemb, size_t size);
void *kup_realloc(void *p, size_t n);
char *kup_strdup(const char *s);
char *kup_strndup(const char *s, size_t n);
/*
 * The n bytes at s (NUL bytes among them copied too) and a NUL after them,
 * malloc'd; git's xmemdupz.  For a <pointer, length> string whose length
 * the caller keeps (kup_strndup stops at the first NUL).  NULL when memory
 * ran out.
 */
char *kup_memdupz(const void *s, size_t n);
/*
 * Duplicate-with-out-of-memory, the one helper for readers that keep a
 * sticky flag and check it once at their end: a copy of s (NULL for NULL),
 * malloc'd (kup_strdup_oom, free()d by the caller) or in the arena; when
 * memory runs out the result is NULL and *oom is set.
 */
char *kup_strdup_oom(const char *s, bool *oom);
char *kup_arena_strdup_oom(struct kup_arena *a, const char *s, bool *oom);
/* Fault injection (no-ops returning 0/false in a normal build). */
bool kup_fault_enabled(void);
void kup_fault_alloc_set(unsigned long fail_at, bool and_after);
unsigned long kup_fault_alloc_count(void);

/* ---- small helpers ---------------------------------------------------- */

/* Like malloc/realloc/strdup but abort-free: return NULL on failure. */
void *kup_xrealloc_array(void *ptr, size_t nmemb, size_t size);

/*
 * Makes room for `need` elements of `size` bytes in the array *pptr of
 * capacity *cap (doubling, at least `first`).  False (array unchanged) when
 * memory runs out.  Use: if (!kup_grow(&v, &cap, n + 1, sizeof(*v), 16)) ...
 */
bool kup_grow(void *pptr, size_t *cap, size_t need, size_t size, size_t first);

/* Monotonic milliseconds (CLOCK_MONOTONIC): for timeouts and pacing, never dates. */
int64_t kup_mono_ms(void);

/* Sleeps ms milliseconds (none when ms <= 0), resuming after a signal. */
void kup_sleep_ms(int64_t ms);

/*
 * "a/b": a and b joined by one '/' (none added when a is empty or ends in
 * one), malloc'd; NULL when memory ran out.
 */
char *kup_path_join(const char *a, const char *b);

/*
 * Whether the file name ends in one of exts (a NULL-terminated list such as
 * { ".yaml", ".yml", NULL }) with something before it: ".yaml" alone does not.
 */
bool kup_has_ext(const char *name, const char *const *exts);

/* ---- inputs: read once, front to back ---------------------------------- */

/*
 * struct kup_input - one input read once, front to back, whatever kind of
 * file it is: a regular file, a pipe, a FIFO, a socket, a terminal,
 * /dev/stdin or a process substitution (/dev/fd/N) are read the same way.
 * Nothing seeks and nothing opens the file a second time, so what a pipe
 * delivers is read exactly once.  The first bytes can be looked at before
 * they are consumed (kup_input_peek, for format sniffing); kup_input_read
 * hands the peeked bytes out first and then reads on.
 *
 * Invariants: head[head_pos, head_len) are bytes peeked and not yet read;
 * `consumed` counts the bytes kup_input_read has handed out.  An input
 * either reads a FILE (fp) or hands out memory (fp NULL, the memory in head).
 */
struct kup_input {
	FILE *fp;
	char *head;
	size_t head_len, head_pos, head_cap;
	size_t consumed;
	bool eof;               /* the FILE said end of input */
	bool error;             /* the FILE said a read error; errnum says which */
	int errnum;
	bool own_fp;            /* close fp in kup_input_close */
	bool own_head;          /* free head in kup_input_close */
	/* when set, sees every byte kup_input_read hands out, once, in order */
	void (*tap)(void *ctx, const char *buf, size_t n);
	void *tap_ctx;
};

/*
 * Opens `path` for reading: "-" is standard input (not closed afterwards);
 * any other path is opened once.  A path that names an open descriptor which
 * cannot be opened again (/dev/stdin or /dev/fd/N when it is a socket:
 * ENXIO) is read through that descriptor (dup'd).  On failure fills err
 * ("cannot open 'PATH': REASON"), sets in->errnum and returns KUP_IO.
 */
enum kup_status kup_input_open(struct kup_input *in, const char *path, struct kup_error *err);
/* Reads an already open FILE (not closed by kup_input_close). */
void kup_input_init_file(struct kup_input *in, FILE *fp);
/* Hands out `len` bytes of memory (not copied: they must outlive the input). */
void kup_input_init_mem(struct kup_input *in, const char *text, size_t len);
/*
 * Makes up to `n` bytes available without consuming them; *out points at
 * them until the next call.  Returns how many (fewer only at the end of
 * input, or on a read error or out of memory: see in->error).
 */
size_t kup_input_peek(struct kup_input *in, size_t n, const char **out);
/* Reads up to `n` bytes into buf: the peeked bytes first.  0 at the end or on error. */
size_t kup_input_read(struct kup_input *in, void *buf, size_t n);
/* Closes what kup_input_open opened; the struct can be reused after. */
void kup_input_close(struct kup_input *in);

/*
 * Whether text is JSON rather than YAML: its first significant byte (after
 * an optional UTF-8 BOM and spaces, tabs, CR, LF) is '{' or '['.  The one
 * format sniffer of the readers that hold their text in memory.
 */
bool kup_looks_json(const char *text, size_t len);

/*
 * The candidate closest to `word` for a "did you mean" hint: the smallest
 * edit distance (insert, delete, substitute, swap of neighbours; a change
 * of case only costs nothing), if it is at most a third of word's length
 * (at least 1, at most 3).  NULL when nothing is that close, or for NULL
 * word.  Ties go to the earlier candidate.
 */
const char *kup_suggest(const char *word, const char *const *candidates, size_t n);

/*
 * Reads a whole file (or stdin for "-") into a malloc'd NUL-terminated
 * buffer, refusing files larger than `cap` bytes.  Any kind of file (see
 * kup_input_open).
 */
enum kup_status kup_read_file(const char *path, size_t cap, char **out,
			      size_t *len, struct kup_error *err);

/* ---- writing files ------------------------------------------------------ */

/*
 * Every file kupgrade writes goes through these calls (io.c), so tests can
 * make any of them fail (ENOSPC, EIO) with kup_io_set_ops(); a build with
 * -DKUP_FAULT_INJECTION=ON also reads $KUP_IO_FAIL=OP:N:ERRNO[,...] (OP one
 * of open, write, fsync, close, rename: its Nth call fails; ERRNO STOP
 * stops the process with SIGSTOP before that call instead; also mkstemp,
 * and sqlite-write and sqlite-sync: SQLite's own xWrite and xSync, through
 * the store's VFS wrapper).
 */
struct kup_io_ops {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *p, size_t n);
	int (*fsync)(int fd);
	int (*close)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*unlink)(const char *path);
};
/* Replaces the calls (NULL: the default ones); returns the previous set. */
const struct kup_io_ops *kup_io_set_ops(const struct kup_io_ops *ops);
const struct kup_io_ops *kup_io(void);       /* the calls in force */
const struct kup_io_ops *kup_io_real(void);  /* the system's calls (for wrappers) */
/* write() until done (EINTR retried); false with errno set. */
bool kup_io_write_all(int fd, const void *data, size_t n);
/* mkstemp(), failing as $KUP_IO_FAIL=mkstemp:N:ERRNO says in a fault-injection build. */
int kup_io_mkstemp(char *tmpl);
/*
 * Fault-injection builds: true (errno set) when this call of OP is the Nth
 * that $KUP_IO_FAIL names; always false otherwise.  For wrappers of I/O that
 * does not go through kup_io_ops (SQLite's VFS).
 */
bool kup_io_fault(const char *op);

/*
 * A file written whole: kup_wfile_open() creates a temporary file beside
 * `path` (".NAME.kupgrade-XXXX", 0600); writes are buffered; commit sets
 * `mode` (0 = 0600), fsyncs, closes and renames it over `path`, then fsyncs
 * the directory.  On any failure (and on abort) the temporary file is
 * removed and `path` is untouched; the error names `path` and the reason
 * ("cannot write 'x.yaml': No space left on device").  A path of "-" writes
 * to standard output.  After a failed open nothing needs releasing.
 */
struct kup_wfile {
	char *path;
	char *tmp;
	int fd;
	mode_t mode;
	bool to_stdout;
	bool failed;
	int werrno;
	struct kup_buf buf;
};
enum kup_status kup_wfile_open(struct kup_wfile *w, const char *path, mode_t mode,
			       struct kup_error *err);
/* False once a write failed (sticky; commit reports it). */
bool kup_wfile_write(struct kup_wfile *w, const void *p, size_t n);
bool kup_wfile_puts(struct kup_wfile *w, const char *s);
enum kup_status kup_wfile_commit(struct kup_wfile *w, struct kup_error *err);
void kup_wfile_abort(struct kup_wfile *w);
/* The whole of data into path, as above. */
enum kup_status kup_write_file(const char *path, const void *data, size_t len, mode_t mode,
			       struct kup_error *err);
/* Creates path empty with mode 0600 when it does not exist (*created says). */
enum kup_status kup_create_private(const char *path, bool *created, struct kup_error *err);

/* ---- secrets ------------------------------------------------------------- */

/*
 * One redaction function for every message path (redact.c).  kup_error_set()
 * and its friends pass messages, paths and objects through it; so do the
 * live client's log lines, the fleet's driver output and the CLI's stderr.
 *
 * Masked as "***": the password of a URL's userinfo (scheme://user:PW@host),
 * `password=PW` (libpq keywords), `token=`/`access_token=` values,
 * `Authorization: Bearer|Basic` values, the body of PEM private keys, and
 * every value registered with kup_secret_register() wherever it appears
 * (values shorter than KUP_SECRET_MIN bytes are masked by shape only;
 * values shorter than KUP_SECRET_ANYWHERE only where they are not part of a
 * longer word, so that a password "secret" leaves the word "secrets" alone).
 * The registry is process-wide; register before output can happen.
 */
#define KUP_SECRET_MIN 4
#define KUP_SECRET_ANYWHERE 12
/* Registers a secret (len 0: strlen).  False when memory runs out. */
bool kup_secret_register(const char *value, size_t len);
/* Registers the passwords a URL or libpq conninfo holds (raw and %-decoded). */
bool kup_secret_register_url(const char *url);
void kup_secret_forget_all(void);
size_t kup_secret_count(void);
/* Hands s[0..n), every secret masked, to out() piece by piece (no allocation). */
typedef void (*kup_redact_out_fn)(void *ctx, const char *p, size_t n);
void kup_redact_to(const char *s, size_t n, kup_redact_out_fn out, void *ctx);
/* Appends s[0..n) to b with every secret masked. */
void kup_redact_add(struct kup_buf *b, const char *s, size_t n);
/* A malloc'd copy of s with every secret masked (NULL when out of memory). */
char *kup_redact(const char *s);
/* True when kup_redact_add would change s[0..n). */
bool kup_redact_needed(const char *s, size_t n);

/*
 * Takes terminal control out of text another program wrote (fleet driver
 * output) before it is shown or stored: escape sequences (CSI "ESC [ ... m",
 * OSC "ESC ] ... BEL", DCS/SOS/PM/APC, two-byte ESC x, their 8-bit C1 forms
 * in UTF-8) are removed, CR LF becomes LF, a lone CR becomes LF, and other
 * control characters but TAB and LF are dropped.  In place; returns the new
 * length (s[len] is NUL when shorter).
 */
size_t kup_strip_escapes(char *s, size_t n);

#endif
