/*
 * common/path.c -- see path.h.
 */
#include "path.h"

#include <stdlib.h>
#include <string.h>

char *path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}
