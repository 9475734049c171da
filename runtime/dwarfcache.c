// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Inflated debuginfo copies (dwarfcache.h). A copy is the source's ELF
 * header (without program headers), each kept section's bytes at an
 * aligned offset of its own (compressed ones inflated, SHF_COMPRESSED
 * cleared), the section headers, then a footer naming the source. Only
 * what libdw reads keeps its bytes: the .debug_ sections, notes and the
 * section names; the rest (a debuginfo file's symbol table above all)
 * becomes SHT_NOBITS, its header kept so section indexes do not move.
 *
 * The source is read with pread, a chunk at a time, and inflated as a
 * stream: making a copy holds two 64 KiB buffers, never a section. Every
 * offset, size and the inflated length are checked against the source
 * file and the section header before a byte is written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <zlib.h>
#include "dwarfcache.h"
#include "fileio.h"
#include "trust.h"

#define FOOTER_MAGIC "PRDWARF1"
#define FORMAT_VERSION 1
#define CHUNK (64u << 10)
#define MAX_ALIGN 4096u
#define STALE_TMP_SECONDS 3600

struct footer {
	char magic[8];
	uint64_t key;  /* the source's identity (key_of) */
	uint64_t size; /* the whole copy's bytes */
};

struct pr_dwarfcache {
	char *dir;
	int dirfd;
	uint64_t max_bytes;
	pthread_mutex_t prune_mu;
	struct pr_dwarfcache_stats st; /* updated atomically */
};

struct plan_scn {
	Elf64_Shdr out;		   /* its header in the copy */
	uint64_t src_off, src_len; /* the bytes read from the source */
	bool data, inflate;
};

struct plan {
	Elf64_Ehdr eh;
	struct plan_scn *s;
	size_t n;
	uint64_t size; /* the copy's bytes, footer included */
	uint64_t key;
};

struct writer {
	int fd;
	uint8_t *buf; /* CHUNK bytes */
	size_t n;     /* buffered */
	uint64_t pos; /* bytes written and buffered */
};

static void count(uint64_t *field)
{
	__atomic_fetch_add(field, 1, __ATOMIC_RELAXED);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* Another file, or the same one rewritten, or another copy format: another key. */
static uint64_t key_of(const struct stat *st)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = mix(h, FORMAT_VERSION);
	h = mix(h, (uint64_t)st->st_dev);
	h = mix(h, (uint64_t)st->st_ino);
	h = mix(h, (uint64_t)st->st_size);
	h = mix(h, (uint64_t)st->st_mtim.tv_sec);
	h = mix(h, (uint64_t)st->st_mtim.tv_nsec);
	h = mix(h, (uint64_t)st->st_ctim.tv_sec);
	return mix(h, (uint64_t)st->st_ctim.tv_nsec);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool keeps_bytes(const char *name, const Elf64_Shdr *sh, bool is_shstrtab)
{
	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return false;
	return is_shstrtab || sh->sh_type == SHT_NOTE ||
	       (name && (!strncmp(name, ".debug_", 7) || !strcmp(name, ".gnu_debugaltlink")));
}

/* The copy's layout, from src's headers: 0, or -ENOTSUP (nothing we
 * inflate: not 64-bit little-endian ELF, GNU .zdebug or a codec other than
 * zlib), -EINVAL (headers that do not fit the file), -EFBIG (over the
 * per-copy bound). */
static int make_plan(int src_fd, Elf *src, uint64_t max_copy, struct plan *p)
{
	size_t n, shstrndx, i;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	Elf64_Chdr ch;
	uint64_t off, a, file_size;
	bool any = false;
	struct stat st;
	const char *name;

	memset(p, 0, sizeof(*p));
	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || elf_kind(src) != ELF_K_ELF ||
	    gelf_getclass(src) != ELFCLASS64 || !(eh = elf64_getehdr(src)) ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOTSUP;
	if (fstat(src_fd, &st) || !S_ISREG(st.st_mode))
		return -EINVAL;
	file_size = (uint64_t)st.st_size;
	if (elf_getshdrnum(src, &n) || elf_getshdrstrndx(src, &shstrndx) || n == 0 ||
	    n >= SHN_LORESERVE || shstrndx >= n)
		return -ENOTSUP;
	p->s = calloc(n, sizeof(*p->s));
	if (!p->s)
		return -ENOMEM;
	p->n = n;
	p->key = key_of(&st);
	p->eh = *eh;
	off = sizeof(Elf64_Ehdr);
	for (i = 1; i < n; i++) {
		struct plan_scn *ps = &p->s[i];

		if (!(sh = elf64_getshdr(elf_getscn(src, i))))
			return -EINVAL;
		ps->out = *sh;
		name = elf_strptr(src, shstrndx, sh->sh_name);
		if (name && !strncmp(name, ".zdebug", 7))
			return -ENOTSUP;
		ps->data = keeps_bytes(name, sh, i == shstrndx);
		if (!ps->data) {
			if (sh->sh_type != SHT_NOBITS && sh->sh_size)
				ps->out.sh_type = SHT_NOBITS;
			ps->out.sh_offset = off;
			ps->out.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
			continue;
		}
		if (sh->sh_offset > file_size || sh->sh_size > file_size - sh->sh_offset)
			return -EINVAL;
		ps->src_off = sh->sh_offset;
		ps->src_len = sh->sh_size;
		if (sh->sh_flags & SHF_COMPRESSED) {
			if (sh->sh_size < sizeof(ch) ||
			    pread(src_fd, &ch, sizeof(ch), (off_t)sh->sh_offset) != sizeof(ch))
				return -EINVAL;
			if (ch.ch_type != ELFCOMPRESS_ZLIB)
				return -ENOTSUP;
			ps->inflate = any = true;
			ps->src_off += sizeof(ch);
			ps->src_len -= sizeof(ch);
			ps->out.sh_size = ch.ch_size;
			ps->out.sh_addralign = ch.ch_addralign;
			ps->out.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
		}
		a = ps->out.sh_addralign;
		if (!a || (a & (a - 1)) || a > MAX_ALIGN)
			a = 1;
		ps->out.sh_addralign = a;
		if (ps->out.sh_size > max_copy)
			return -EFBIG;
		off = align_up(off, a);
		ps->out.sh_offset = off;
		off += ps->out.sh_size;
		if (off > max_copy)
			return -EFBIG;
	}
	if (!any)
		return -ENOTSUP;
	p->s[0].out = (Elf64_Shdr){ 0 };
	off = align_up(off, 8);
	p->eh.e_phoff = 0;
	p->eh.e_phnum = 0;
	p->eh.e_phentsize = 0;
	p->eh.e_shoff = off;
	p->eh.e_shnum = (Elf64_Half)n;
	p->eh.e_shentsize = sizeof(Elf64_Shdr);
	p->eh.e_shstrndx = (Elf64_Half)shstrndx;
	p->size = off + n * sizeof(Elf64_Shdr) + sizeof(struct footer);
	return p->size > max_copy ? -EFBIG : 0;
}

/* ---- writing ------------------------------------------------------------ */

static int w_flush(struct writer *w)
{
	int r = pr_write_all(w->fd, w->buf, w->n);

	w->n = 0;
	return r;
}

static int w_put(struct writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t k;
	int r;

	while (len) {
		k = CHUNK - w->n < len ? CHUNK - w->n : len;
		memcpy(w->buf + w->n, p, k);
		w->n += k;
		w->pos += k;
		p += k;
		len -= k;
		if (w->n == CHUNK && (r = w_flush(w)))
			return r;
	}
	return 0;
}

static int w_pad_to(struct writer *w, uint64_t off)
{
	static const uint8_t zeros[256];
	size_t k;
	int r;

	while (w->pos < off) {
		k = off - w->pos < sizeof(zeros) ? (size_t)(off - w->pos) : sizeof(zeros);
		if ((r = w_put(w, zeros, k)))
			return r;
	}
	return 0;
}

static int copy_raw(struct writer *w, int src_fd, uint64_t off, uint64_t len, uint8_t *in)
{
	ssize_t got;
	int r;

	while (len) {
		got = pread(src_fd, in, len < CHUNK ? len : CHUNK, (off_t)off);
		if (got <= 0)
			return got < 0 ? -errno : -EINVAL; /* the file shrank */
		if ((r = w_put(w, in, (size_t)got)))
			return r;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	return 0;
}

/* Exactly want bytes inflated from the zlib stream at src[off, off+len):
 * a stream that ends early, runs long or is damaged is -EINVAL. */
static int copy_inflated(struct writer *w, int src_fd, uint64_t off, uint64_t len, uint64_t want,
			 uint8_t *in)
{
	z_stream z = { 0 };
	uint64_t made = 0;
	size_t room, k;
	ssize_t got;
	int zr = Z_OK, r = 0;

	if (inflateInit(&z) != Z_OK)
		return -ENOMEM;
	while (zr != Z_STREAM_END) {
		if (!z.avail_in) {
			if (!len) {
				r = -EINVAL;
				break;
			}
			got = pread(src_fd, in, len < CHUNK ? len : CHUNK, (off_t)off);
			if (got <= 0) {
				r = got < 0 ? -errno : -EINVAL;
				break;
			}
			off += (uint64_t)got;
			len -= (uint64_t)got;
			z.next_in = in;
			z.avail_in = (uInt)got;
		}
		room = CHUNK - w->n;
		z.next_out = w->buf + w->n;
		z.avail_out = (uInt)room;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && !z.avail_in)) {
			r = -EINVAL;
			break;
		}
		k = room - z.avail_out;
		made += k;
		if (made > want) {
			r = -EINVAL;
			break;
		}
		w->n += k;
		w->pos += k;
		if (w->n == CHUNK && (r = w_flush(w)))
			break;
	}
	inflateEnd(&z);
	return r ? r : made == want ? 0 : -EINVAL;
}

static int write_copy(int fd, int src_fd, const struct plan *p)
{
	struct writer w = { .fd = fd };
	struct footer f = { .key = p->key, .size = p->size };
	uint8_t *in = malloc(CHUNK);
	size_t i;
	int r;

	w.buf = malloc(CHUNK);
	r = in && w.buf ? 0 : -ENOMEM;
	memcpy(f.magic, FOOTER_MAGIC, sizeof(f.magic));
	r = r ?: w_put(&w, &p->eh, sizeof(p->eh));
	for (i = 1; i < p->n && !r; i++) {
		const struct plan_scn *s = &p->s[i];

		if (!s->data)
			continue;
		r = w_pad_to(&w, s->out.sh_offset);
		if (r)
			break;
		if (s->inflate)
			r = copy_inflated(&w, src_fd, s->src_off, s->src_len, s->out.sh_size, in);
		else
			r = copy_raw(&w, src_fd, s->src_off, s->src_len, in);
	}
	r = r ?: w_pad_to(&w, p->eh.e_shoff);
	for (i = 0; i < p->n && !r; i++)
		r = w_put(&w, &p->s[i].out, sizeof(p->s[i].out));
	r = r ?: w_put(&w, &f, sizeof(f));
	r = r ?: w_flush(&w);
	if (!r && w.pos != p->size)
		r = -EIO;
	free(in);
	free(w.buf);
	return r;
}

/* ---- the directory ------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

struct entry {
	char name[64];
	uint64_t bytes;
	time_t used;
};

static int cmp_used(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->used < y->used ? -1 : x->used > y->used;
}

/* Keeps the directory within max_bytes, least recently used copies first
 * (a hit touches its copy's mtime), never keep; removes temporaries an
 * interrupted copy left over an hour ago. */
static void prune(struct pr_dwarfcache *c, const char *keep)
{
	struct entry *e = NULL, *ne;
	size_t n = 0, cap = 0, i;
	uint64_t total = 0;
	struct dirent *de;
	struct stat st;
	int fd;
	DIR *d;

	pthread_mutex_lock(&c->prune_mu);
	fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while ((de = readdir(d))) {
		if (fstatat(c->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			if (st.st_mtime < time(NULL) - STALE_TMP_SECONDS)
				unlinkat(c->dirfd, de->d_name, 0);
			continue;
		}
		if (!has_suffix(de->d_name, ".debug") || strlen(de->d_name) >= sizeof(e->name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ne = realloc(e, cap * sizeof(*e));
			if (!ne)
				break;
			e = ne;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", de->d_name);
		e[n].bytes = (uint64_t)st.st_blocks * 512;
		e[n].used = st.st_mtime;
		total += e[n++].bytes;
	}
	closedir(d);
	if (total > c->max_bytes)
		qsort(e, n, sizeof(*e), cmp_used);
	for (i = 0; i < n && total > c->max_bytes; i++) {
		if (!strcmp(e[i].name, keep) || unlinkat(c->dirfd, e[i].name, 0))
			continue;
		total -= e[i].bytes;
		count(&c->st.pruned);
	}
out:
	pthread_mutex_unlock(&c->prune_mu);
	free(e);
}

/* name's copy, if it is ours and whole: an fd, -ENOENT (none: make it),
 * -EPERM (not trusted: left alone), -ESTALE (removed: make it again). */
static int open_copy(struct pr_dwarfcache *c, const char *name, const struct plan *p)
{
	struct footer f;
	struct stat st;
	int fd = pr_trust_open_private(c->dirfd, name, &st);

	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size != p->size ||
	    pread(fd, &f, sizeof(f), (off_t)(p->size - sizeof(f))) != sizeof(f) ||
	    memcmp(f.magic, FOOTER_MAGIC, sizeof(f.magic)) || f.key != p->key || f.size != p->size) {
		close(fd);
		unlinkat(c->dirfd, name, 0);
		return -ESTALE;
	}
	futimens(fd, NULL); /* most recently used: pruned last */
	return fd;
}

/* Room for the copy and as much again: a cache never fills the disk. */
static bool room_for(struct pr_dwarfcache *c, uint64_t bytes)
{
	struct statvfs v;

	return !fstatvfs(c->dirfd, &v) && (uint64_t)v.f_bavail * v.f_frsize / 2 >= bytes;
}

static int make_copy(struct pr_dwarfcache *c, int src_fd, const struct plan *p, const char *name)
{
	char tmp[64];
	int fd, r;

	if (!room_for(c, p->size))
		return -ENOSPC;
	snprintf(tmp, sizeof(tmp), ".tmp-%016llx-%d", (unsigned long long)p->key, (int)gettid());
	unlinkat(c->dirfd, tmp, 0);
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = fchmod(fd, 0644) ? -errno : 0; /* whatever the umask */
	r = r ?: write_copy(fd, src_fd, p);
	if (close(fd) && !r)
		r = -errno;
	if (!r && renameat(c->dirfd, tmp, c->dirfd, name))
		r = -errno;
	if (r)
		unlinkat(c->dirfd, tmp, 0);
	return r;
}

int pr_dwarfcache_open(struct pr_dwarfcache *c, int src_fd, Elf *src, int *out)
{
	struct plan p;
	char name[32];
	int r, fd;

	r = make_plan(src_fd, src, c->max_bytes / 2, &p);
	if (r) {
		free(p.s);
		count(&c->st.refused);
		return r;
	}
	snprintf(name, sizeof(name), "%016llx.debug", (unsigned long long)p.key);
	fd = open_copy(c, name, &p);
	if (fd >= 0) {
		count(&c->st.hits);
		goto done;
	}
	if (fd == -EPERM) {
		count(&c->st.refused);
		r = fd;
		goto done;
	}
	if (fd == -ESTALE)
		count(&c->st.rebuilds);
	r = make_copy(c, src_fd, &p, name);
	if (r) {
		count(&c->st.refused);
		goto done;
	}
	count(&c->st.builds);
	prune(c, name);
	fd = open_copy(c, name, &p);
	if (fd < 0)
		r = fd;
done:
	free(p.s);
	if (!r)
		*out = fd;
	return r;
}

int pr_dwarfcache_new(const char *dir, uint64_t max_bytes, struct pr_dwarfcache **out, char *why,
		      size_t whylen)
{
	struct pr_dwarfcache *c;
	char twhy[512];
	int err;

	if (dir[0] != '/') {
		snprintf(why, whylen, "the DWARF cache directory must be an absolute path, not %s",
			 dir);
		return -EINVAL;
	}
	err = pr_trust_make_dir(dir, 0755, geteuid(), twhy, sizeof(twhy));
	if (err) {
		snprintf(why, whylen, "%s", twhy);
		return err;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->dir = strdup(dir))) {
		free(c);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot open %s: %s", dir, strerror(errno));
		free(c->dir);
		free(c);
		return err;
	}
	c->max_bytes = max_bytes ? max_bytes : PR_DWARFCACHE_MAX_BYTES;
	pthread_mutex_init(&c->prune_mu, NULL);
	*out = c;
	return 0;
}

void pr_dwarfcache_free(struct pr_dwarfcache *c)
{
	if (!c)
		return;
	close(c->dirfd);
	pthread_mutex_destroy(&c->prune_mu);
	free(c->dir);
	free(c);
}

void pr_dwarfcache_stats(const struct pr_dwarfcache *c, struct pr_dwarfcache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->hits = __atomic_load_n(&c->st.hits, __ATOMIC_RELAXED);
	out->builds = __atomic_load_n(&c->st.builds, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&c->st.refused, __ATOMIC_RELAXED);
	out->rebuilds = __atomic_load_n(&c->st.rebuilds, __ATOMIC_RELAXED);
	out->pruned = __atomic_load_n(&c->st.pruned, __ATOMIC_RELAXED);
}
