/* cmd_fleet.c - placeholder until the 'fleet' command lands: refuses with a message. */
#include "cli.h"

int cmd_fleet(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'fleet' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
