/* cmd_rollout.c - placeholder until the 'rollout' command lands: refuses with a message. */
#include "cli.h"

int cmd_rollout(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'rollout' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
