/*
 * resource.c — lookup of embedded defaults and reading of override files.
 */
#include "resource.h"
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct xio_resource *xio_resource_find(const char *path)
{
	const struct xio_resource *r;

	for (r = xio_resources; r->path; r++)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

char *xio_file_read(const char *file, size_t max, size_t *len,
		    struct xio_err *err)
{
	struct xio_buf b;
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc = 0;

	f = fopen(file, "rb");
	if (!f) {
		xio_err_set(err, errno == ENOENT ? XIO_ENOTFOUND : XIO_EIO,
			    "%s: %s", file, strerror(errno));
		return NULL;
	}
	xio_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = xio_buf_append(&b, chunk, n);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = XIO_EIO;
	fclose(f);
	if (rc) {
		xio_err_set(err, rc, "%s: %s", file,
			    rc == XIO_ETOOBIG ? "file too large" : xio_strerror(rc));
		xio_buf_release(&b);
		return NULL;
	}
	if (len)
		*len = b.len;
	return xio_buf_detach(&b);
}

char *xio_resource_load(const char *override_file, const char *path,
			size_t *len, struct xio_err *err)
{
	const struct xio_resource *r;
	char *p;

	if (override_file && *override_file)
		return xio_file_read(override_file, 16 << 20, len, err);
	r = xio_resource_find(path);
	if (!r) {
		xio_err_set(err, XIO_ENOTFOUND, "built-in resource %s not found", path);
		return NULL;
	}
	p = malloc(r->len + 1);
	if (!p) {
		xio_err_set(err, XIO_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	memcpy(p, r->data, r->len + 1);
	if (len)
		*len = r->len;
	return p;
}
