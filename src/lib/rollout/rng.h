/*
 * rng.h - the rollout simulator's random streams (internal).
 *
 * No state: a draw is a pure function of (seed, stream, index), mixed with
 * splitmix64, so the k-th node provisioned or the j-th start of a pod slot
 * gets the same time under every policy.
 */
#ifndef KUP_ROLLOUT_RNG_H
#define KUP_ROLLOUT_RNG_H

#include <math.h>
#include <stdint.h>

#include "kupgrade/rollout.h"

enum {
	KUP_RS_PROVISION = 1,
	KUP_RS_POD_START,
	KUP_RS_DRAIN_OVERHEAD,
	KUP_RS_RETRY,
	KUP_RS_REBOOT,
	KUP_RS_ORDER,
};

static inline uint64_t kup_rs_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t kup_rs_u64(uint64_t seed, uint64_t stream, uint64_t idx)
{
	return kup_rs_mix(kup_rs_mix(kup_rs_mix(seed) ^ stream) ^ idx);
}

/* Uniform in (0, 1). */
static inline double kup_rs_unit(uint64_t seed, uint64_t stream, uint64_t idx)
{
	return ((double)(kup_rs_u64(seed, stream, idx) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal quantile (Acklam's rational approximation, |err| < 1.2e-9). */
static inline double kup_rs_probit(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
		2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
		2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00 };
	double q, r;

	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - 0.02425) {
		q = sqrt(-2 * log(1 - p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* One draw of a timing: constant, or log-normal with the given median and p90. */
static inline double kup_rs_draw(const struct kup_ro_dist *d, uint64_t seed, uint64_t stream,
				 uint64_t idx)
{
	double sigma, z;

	if (d->p90 <= d->median || d->median <= 0)
		return d->median;
	sigma = log(d->p90 / d->median) / 1.2815515655446004;
	z = kup_rs_probit(kup_rs_unit(seed, stream, idx));
	if (z > 3.09)
		z = 3.09;   /* truncated at the 99.9th percentile: no hour-long pod starts */
	return d->median * exp(sigma * z);
}

#endif
