/*
 * common/path.h -- small file-path helpers.
 */
#ifndef SG_PATH_H
#define SG_PATH_H

/* The directory part of path: "." when it has no '/', "/" for a file
 * in the root. malloc'd; NULL on OOM. */
char *path_dir(const char *path);

#endif
