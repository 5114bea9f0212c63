/* cmd_drain.c - placeholder until the 'drain' command lands: refuses with a message. */
#include "cli.h"

int cmd_drain(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'drain' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
