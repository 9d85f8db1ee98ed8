/*
 * milter/cli_dmarc.h -- `signet dmarc`: evaluate DMARC for given inputs
 * (no message needed), the way signetd will, and print the verdict and
 * the Authentication-Results piece. For administrators checking a
 * domain's policy and for the conformance runner (tests/dmarc/run.sh).
 *
 *   signet dmarc (--from-domain D | --from VALUE [--from VALUE]... | --no-from)
 *                [--dkim [d=]DOMAIN:pass|fail]... [--spf DOMAIN:RESULT]
 *                [--dns ADDR:PORT] [--timeout MS] [--mode rfc9989|rfc7489]
 *                [--psl FILE] [--reject-multi-from]
 *
 * --from takes a raw From field value (repeat it for several From
 * fields); --no-from is a message without one. Output, one "key=value"
 * per line: result, policy, policy-tag, disposition, author, authors,
 * org-domain, policy-domain, aligned, reject-message, reason, rua/ruf
 * (one line each), queries, authres. Exit 0 with a verdict (any verdict),
 * 1 on an error (PSL file, resolver, memory), 2 on bad usage.
 */
#ifndef MILTER_CLI_DMARC_H
#define MILTER_CLI_DMARC_H

/* argv[0] is the program, argv[1] "dmarc"; options start at argv[2]. */
int cli_dmarc(int argc, char **argv);

#endif
