/*
 * fuzz_fleet.c - kup_fleet_parse on arbitrary bytes: a fleet it accepts is
 * consistent (every cluster in a wave that exists, a profile or a context,
 * unique names, templates with known placeholders only, windows that open),
 * and a refused one comes with an error message.  The bytes are also tried
 * as a duration and as a window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_fleet *f = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	char small[256];
	int64_t secs;

	if (kup_fleet_parse("fuzz/fleet.yaml", (const char *)data, size, NULL, &f, &err) == KUP_OK) {
		if (!f || !f->nclusters || !f->nwaves || !f->target.valid)
			abort();
		for (size_t i = 0; i < f->nclusters; i++) {
			const struct kup_fleet_cluster *c = &f->clusters[i];
			if (!c->name || c->wave >= f->nwaves || (!c->profile == !c->context))
				abort();
			if (kup_fleet_find_cluster(f, c->name) != (long)i)
				abort();
		}
		for (size_t w = 0; w < f->nwaves; w++) {
			const struct kup_fleet_wave *wv = &f->waves[w];
			if (!wv->name || kup_fleet_max_concurrent(wv, wv->nclusters) < 1)
				abort();
			if (wv->window.set && !kup_fleet_window_open(&wv->window,
					kup_fleet_window_next(&wv->window, 1795000000)))
				abort();
		}
		for (int c = 0; c < KUP_FLEET_NCMD; c++) {
			size_t bad;
			if (f->cmd[c].text && !kup_fleet_check_template(f->cmd[c].text, &bad))
				abort();
		}
		kup_fleet_free(f);
	} else if (f || !err.msg) {
		abort();
	}
	kup_error_release(&err);

	if (size < sizeof(small)) {
		struct kup_fleet_window w;
		char why[256];
		memcpy(small, data, size);
		small[size] = '\0';
		if (kup_fleet_parse_duration(small, &secs) && secs < 0)
			abort();
		if (kup_fleet_parse_window(small, &w, why, sizeof(why)) &&
		    !kup_fleet_window_open(&w, kup_fleet_window_next(&w, 1795000000)))
			abort();
	}
	return 0;
}
