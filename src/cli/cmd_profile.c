/* cmd_profile.c - placeholder until the 'profile' command lands: refuses with a message. */
#include "cli.h"

int cmd_profile(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'profile' is not available in this build yet");
	return KUP_EXIT_ERROR;
}
