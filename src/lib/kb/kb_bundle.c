/*
 * kb_bundle.c - knowledge-base bundles: unpack and verify a ustar archive of
 * the data/ YAML files with its MANIFEST, and install it atomically (kb.h).
 *
 * The archive holds "MANIFEST" and "data/NAME.yaml" members (and optionally
 * the "data/" directory entry), nothing else.  MANIFEST is
 *
 *	kupgrade-kb-bundle 1
 *	<sha256 hex> <size> <NAME.yaml>
 *	...
 *
 * Every listed file must be present with that size and digest and every
 * data/ member must be listed.  Nothing is written before all of it checks
 * out; then the files go into a fresh directory, the directory is loaded as
 * a knowledge base, and only a KB that loads without a problem and is newer
 * than the one it replaces becomes the target of the `kb` symlink (one
 * rename(2), so readers see the old KB or the new one, never a mix).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kupgrade/kb.h"

#define TAR_BLOCK 512
#define MAX_FILES 64
#define MANIFEST_MAGIC "kupgrade-kb-bundle 1"

struct member {
	char name[128];        /* NAME.yaml, without "data/" */
	const unsigned char *data;
	size_t size;
	bool listed;
};

struct manifest_entry {
	char name[128];
	size_t size;
	unsigned char sha[32];
};

static bool octal(const unsigned char *p, size_t n, size_t *out)
{
	size_t v = 0, i = 0;

	while (i < n && p[i] == ' ')
		i++;
	if (i == n || p[i] < '0' || p[i] > '7')
		return false;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v > (SIZE_MAX >> 3))
			return false;
		v = (v << 3) | (size_t)(p[i] - '0');
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return false;
	*out = v;
	return true;
}

static bool zero_block(const unsigned char *p)
{
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		if (p[i])
			return false;
	return true;
}

/* A file name the KB may hold: [A-Za-z0-9._-]+ ending in ".yaml", no leading dot. */
static bool good_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 6 || n >= 128 || s[0] == '.' || strcmp(s + n - 5, ".yaml") != 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static enum kup_status read_members(const unsigned char *buf, size_t len, const char *path,
				    struct member *m, size_t *nm, const unsigned char **manifest,
				    size_t *manifest_len, struct kup_error *err)
{
	size_t off = 0;

	*nm = 0;
	*manifest = NULL;
	while (off + TAR_BLOCK <= len) {
		const unsigned char *h = buf + off;
		char name[260]; /* prefix (155) + '/' + name (100) + NUL */
		size_t size, sum, want = 0, i, nlen, plen;

		if (zero_block(h))
			return KUP_OK;
		if (memcmp(h + 257, "ustar", 5) != 0)
			return kup_error_set(err, KUP_PARSE, path, 0, 0,
					     "member at byte %zu is not a ustar header", off);
		if (!octal(h + 148, 8, &want))
			return kup_error_set(err, KUP_PARSE, path, 0, 0,
					     "member at byte %zu: unreadable header checksum", off);
		for (sum = 0, i = 0; i < TAR_BLOCK; i++)
			sum += (i >= 148 && i < 156) ? (size_t)' ' : h[i];
		if (sum != want)
			return kup_error_set(err, KUP_PARSE, path, 0, 0,
					     "member at byte %zu: header checksum mismatch", off);
		if (!octal(h + 124, 12, &size))
			return kup_error_set(err, KUP_PARSE, path, 0, 0,
					     "member at byte %zu: unreadable size", off);
		plen = strnlen((const char *)h + 345, 155);
		nlen = strnlen((const char *)h, 100);
		if (plen) {
			memcpy(name, h + 345, plen);
			name[plen] = '/';
			memcpy(name + plen + 1, h, nlen);
			name[plen + 1 + nlen] = '\0';
		} else {
			memcpy(name, h, nlen);
			name[nlen] = '\0';
		}
		off += TAR_BLOCK;
		if (size > len - off)
			return kup_error_set(err, KUP_PARSE, path, 0, 0,
					     "member '%s' is truncated", name);
		if (h[156] == '5') {
			if (strcmp(name, "data/") != 0 && strcmp(name, "data") != 0)
				return kup_error_set(err, KUP_INVALID, path, 0, 0,
						     "unexpected directory '%s' in the bundle", name);
		} else if (h[156] != '0' && h[156] != '\0') {
			return kup_error_set(err, KUP_INVALID, path, 0, 0,
					     "member '%s' is not a regular file (type '%c')", name,
					     h[156] ? h[156] : '0');
		} else if (strcmp(name, "MANIFEST") == 0) {
			if (*manifest)
				return kup_error_set(err, KUP_INVALID, path, 0, 0,
						     "MANIFEST appears twice");
			*manifest = buf + off;
			*manifest_len = size;
		} else if (strncmp(name, "data/", 5) == 0 && good_name(name + 5)) {
			for (i = 0; i < *nm; i++)
				if (strcmp(m[i].name, name + 5) == 0)
					return kup_error_set(err, KUP_INVALID, path, 0, 0,
							     "'%s' appears twice", name);
			if (*nm == MAX_FILES)
				return kup_error_set(err, KUP_TOOBIG, path, 0, 0,
						     "more than %d files in the bundle", MAX_FILES);
			memcpy(m[*nm].name, name + 5, strlen(name + 5) + 1);
			m[*nm].data = buf + off;
			m[*nm].size = size;
			m[*nm].listed = false;
			(*nm)++;
		} else {
			return kup_error_set(err, KUP_INVALID, path, 0, 0,
					     "unexpected member '%s' (want MANIFEST and data/NAME.yaml)",
					     name);
		}
		off += (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	return kup_error_set(err, KUP_PARSE, path, 0, 0, "the archive has no end-of-archive marker");
}

static enum kup_status check_manifest(const unsigned char *text, size_t len, const char *path,
				      struct member *m, size_t nm, struct kup_error *err)
{
	size_t off = 0, line = 0, i, nlisted = 0;

	while (off < len) {
		const char *s = (const char *)text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t l = nl ? (size_t)(nl - s) : len - off;
		char row[256], hex[65], name[128];
		unsigned long long size;
		unsigned char sha[32], got[32];
		unsigned int glen = 0;
		struct member *f = NULL;
		char extra;

		off += l + (nl ? 1 : 0);
		line++;
		if (l >= sizeof(row))
			return kup_error_set(err, KUP_PARSE, path, (uint32_t)line, 1,
					     "MANIFEST line too long");
		memcpy(row, s, l);
		row[l] = '\0';
		if (line == 1) {
			if (strcmp(row, MANIFEST_MAGIC) != 0)
				return kup_error_set(err, KUP_PARSE, path, 1, 1,
						     "MANIFEST must start with '%s'", MANIFEST_MAGIC);
			continue;
		}
		if (!l)
			continue;
		if (sscanf(row, "%64s %llu %127s %c", hex, &size, name, &extra) != 3 ||
		    strlen(hex) != 64)
			return kup_error_set(err, KUP_PARSE, path, (uint32_t)line, 1,
					     "MANIFEST: want '<sha256> <size> <name>'");
		for (i = 0; i < 32; i++) {
			int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
			if (a < 0 || b < 0)
				return kup_error_set(err, KUP_PARSE, path, (uint32_t)line, 1,
						     "MANIFEST: '%s' is not a lower-case sha256", hex);
			sha[i] = (unsigned char)(a << 4 | b);
		}
		if (!good_name(name))
			return kup_error_set(err, KUP_INVALID, path, (uint32_t)line, 1,
					     "MANIFEST: bad file name '%s'", name);
		for (i = 0; i < nm; i++)
			if (strcmp(m[i].name, name) == 0)
				f = &m[i];
		if (!f)
			return kup_error_set(err, KUP_INVALID, path, (uint32_t)line, 1,
					     "MANIFEST lists '%s', which the bundle lacks", name);
		if (f->listed)
			return kup_error_set(err, KUP_INVALID, path, (uint32_t)line, 1,
					     "MANIFEST lists '%s' twice", name);
		if ((unsigned long long)f->size != size)
			return kup_error_set(err, KUP_INVALID, path, (uint32_t)line, 1,
					     "'%s' is %zu bytes, MANIFEST says %llu", name, f->size,
					     size);
		if (!EVP_Digest(f->data, f->size, got, &glen, EVP_sha256(), NULL) || glen != 32)
			return kup_error_set(err, KUP_IO, path, (uint32_t)line, 1,
					     "cannot compute the sha256 of '%s'", name);
		if (memcmp(got, sha, 32) != 0)
			return kup_error_set(err, KUP_INVALID, path, (uint32_t)line, 1,
					     "'%s' does not match its sha256 in MANIFEST", name);
		f->listed = true;
		nlisted++;
	}
	if (line == 0)
		return kup_error_set(err, KUP_PARSE, path, 0, 0, "MANIFEST is empty");
	for (i = 0; i < nm; i++)
		if (!m[i].listed)
			return kup_error_set(err, KUP_INVALID, path, 0, 0,
					     "'data/%s' is not listed in MANIFEST", m[i].name);
	if (!nlisted)
		return kup_error_set(err, KUP_INVALID, path, 0, 0, "the bundle holds no file");
	return KUP_OK;
}

static enum kup_status write_file(const char *dir, const struct member *f, struct kup_error *err)
{
	char p[PATH_MAX];
	int fd;
	size_t done = 0;

	if (snprintf(p, sizeof(p), "%s/%s", dir, f->name) >= (int)sizeof(p))
		return kup_error_set(err, KUP_TOOBIG, dir, 0, 0, "path too long");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return kup_error_set(err, KUP_IO, p, 0, 0, "cannot create: %s", strerror(errno));
	while (done < f->size) {
		ssize_t w = write(fd, f->data + done, f->size - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return kup_error_set(err, KUP_IO, p, 0, 0, "cannot write: %s",
					     strerror(errno));
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return kup_error_set(err, KUP_IO, p, 0, 0, "cannot write: %s", strerror(errno));
	return KUP_OK;
}

enum kup_status kup_kb_bundle_unpack(const char *bundle, const char *dir, struct kup_error *err)
{
	struct member m[MAX_FILES];
	const unsigned char *manifest = NULL;
	size_t nm = 0, manifest_len = 0, len = 0, i;
	char *buf = NULL;
	enum kup_status st;

	st = kup_read_file(bundle, KUP_KB_BUNDLE_MAX, &buf, &len, err);
	if (st != KUP_OK)
		return st;
	st = read_members((const unsigned char *)buf, len, bundle, m, &nm, &manifest,
			  &manifest_len, err);
	if (st == KUP_OK && !manifest)
		st = kup_error_set(err, KUP_INVALID, bundle, 0, 0, "the bundle has no MANIFEST");
	if (st == KUP_OK)
		st = check_manifest(manifest, manifest_len, bundle, m, nm, err);
	for (i = 0; st == KUP_OK && i < nm; i++)
		st = write_file(dir, &m[i], err);
	free(buf);
	return st;
}

/* Removes dir and the regular files in it (what an unpacked bundle holds). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p))
				unlink(p);
		closedir(d);
	}
	rmdir(dir);
}

static enum kup_status mkdirs(const char *path, struct kup_error *err)
{
	char p[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(p))
		return kup_error_set(err, KUP_TOOBIG, path, 0, 0, "path too long");
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return kup_error_set(err, KUP_IO, p, 0, 0, "cannot create: %s",
					     strerror(errno));
		p[i] = i == n ? '\0' : '/';
	}
	return KUP_OK;
}

enum kup_status kup_kb_install(const char *bundle, const char *base, const char *newer_than,
			       const struct kup_error_sink *sink, size_t *problems,
			       char **installed_date, struct kup_error *err)
{
	char tmp[PATH_MAX], link_tmp[PATH_MAX], link_path[PATH_MAX], old[PATH_MAX];
	const char *date;
	struct kup_kb *kb = NULL;
	enum kup_status st;
	ssize_t ol;

	*installed_date = NULL;
	if (problems)
		*problems = 0;
	st = mkdirs(base, err);
	if (st != KUP_OK)
		return st;
	if (snprintf(tmp, sizeof(tmp), "%s/kb-XXXXXX", base) >= (int)sizeof(tmp) ||
	    snprintf(link_path, sizeof(link_path), "%s/kb", base) >= (int)sizeof(link_path))
		return kup_error_set(err, KUP_TOOBIG, base, 0, 0, "path too long");
	if (!mkdtemp(tmp))
		return kup_error_set(err, KUP_IO, base, 0, 0, "cannot create a directory: %s",
				     strerror(errno));
	st = kup_kb_bundle_unpack(bundle, tmp, err);
	if (st != KUP_OK)
		goto fail;
	st = kup_kb_load_dir(tmp, &kb, sink, problems);
	if (st != KUP_OK) {
		kup_error_set(err, KUP_KB, bundle, 0, 0,
			      "the bundle's knowledge base has %zu problem(s)",
			      problems ? *problems : (size_t)0);
		st = KUP_KB;
		goto fail;
	}
	date = kup_kb_checked(kb);
	if (!date) {
		st = kup_error_set(err, KUP_KB, bundle, 0, 0,
				   "the bundle's knowledge base carries no 'checked:' date");
		goto fail;
	}
	if (newer_than && strcmp(date, newer_than) <= 0) {
		st = kup_error_set(err, KUP_CONFLICT, bundle, 0, 0,
				   "the bundle's knowledge base (%s) is not newer than %s", date,
				   newer_than);
		goto fail;
	}
	if (!(*installed_date = strdup(date))) {
		st = kup_error_set(err, KUP_NOMEM, bundle, 0, 0, "out of memory");
		goto fail;
	}
	kup_kb_free(kb);
	kb = NULL;
	ol = readlink(link_path, old, sizeof(old) - 1);
	old[ol > 0 ? ol : 0] = '\0';
	if (snprintf(link_tmp, sizeof(link_tmp), "%s.new", tmp) >= (int)sizeof(link_tmp)) {
		st = kup_error_set(err, KUP_TOOBIG, base, 0, 0, "path too long");
		goto fail;
	}
	if (symlink(strrchr(tmp, '/') + 1, link_tmp) != 0) {
		st = kup_error_set(err, KUP_IO, link_tmp, 0, 0, "cannot create: %s",
				   strerror(errno));
		goto fail;
	}
	if (rename(link_tmp, link_path) != 0) {
		st = kup_error_set(err, KUP_IO, link_path, 0, 0,
				   "cannot replace (it must be a symlink or absent): %s",
				   strerror(errno));
		unlink(link_tmp);
		goto fail;
	}
	if (ol > 0 && !strchr(old, '/') && strncmp(old, "kb-", 3) == 0) {
		char prev[PATH_MAX];
		if (snprintf(prev, sizeof(prev), "%s/%s", base, old) < (int)sizeof(prev))
			remove_tree(prev);
	}
	return KUP_OK;
fail:
	kup_kb_free(kb);
	free(*installed_date);
	*installed_date = NULL;
	remove_tree(tmp);
	return st;
}
