/*
 * milter/cli_spf.h -- `signet spf`: evaluate SPF for one SMTP client the
 * way signetd would, for administrators debugging a policy.
 */
#ifndef MILTER_CLI_SPF_H
#define MILTER_CLI_SPF_H

/* argv[1] is "spf"; options start at argv[2]. Exit status: 0 when the
 * evaluation ran (whatever the result), 1 when it could not, 2 on a
 * usage error. */
int cli_spf(int argc, char **argv);

#endif
