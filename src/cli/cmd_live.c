/* cmd_live.c - placeholder until the 'snapshot' command lands: refuses with a message. */
#include "cli.h"

int cmd_snapshot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'snapshot' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
