/* report_html.c - `fleet report -o html` (placeholder, filled below). */
#include "kupgrade/fleet.h"

enum kup_status kup_fleet_render_html(const struct kup_fleet_snapshot *snap, struct kup_store *s,
				      const struct kup_kb *kb, struct kup_buf *out,
				      struct kup_error *err)
{
	(void)s; (void)kb; (void)err;
	return kup_fleet_render_status(snap, KUP_FLEET_TABLE, out);
}
