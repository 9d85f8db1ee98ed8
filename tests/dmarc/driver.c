/*
 * tests/dmarc/driver.c -- `signet dmarc` without the signet binary: a
 * main() around cli_dmarc() for tests/dmarc/run.sh, used until (or
 * unless) $SIGNET_BUILD/signet dispatches "dmarc" itself. Test-only.
 */
#include "milter/cli_dmarc.h"

int main(int argc, char **argv)
{
	return cli_dmarc(argc, argv);
}
